#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_entry::image_decode(data));
