//! Generated test pictures for image search (tests and the search benchmark): every seed gives a
//! different picture, the same seed the same one.

use rand::{Rng, SeedableRng};

/// A random background with a few random rectangles and discs in random colours, `w`×`h`.
pub fn picture(seed: u64, w: u32, h: u32) -> image::RgbImage {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let color =
        |rng: &mut rand::rngs::StdRng| image::Rgb([rng.random(), rng.random(), rng.random()]);
    let bg = color(&mut rng);
    let mut img = image::RgbImage::from_pixel(w, h, bg);
    for _ in 0..rng.random_range(3..8) {
        let c = color(&mut rng);
        let (x0, y0) = (rng.random_range(0..w), rng.random_range(0..h));
        let (rw, rh) = (
            rng.random_range(w / 8..w / 2),
            rng.random_range(h / 8..h / 2),
        );
        let disc = rng.random_bool(0.5);
        for y in y0..(y0 + rh).min(h) {
            for x in x0..(x0 + rw).min(w) {
                let dx = (x - x0) as f32 / rw as f32 - 0.5;
                let dy = (y - y0) as f32 / rh as f32 - 0.5;
                if !disc || dx * dx + dy * dy <= 0.25 {
                    img.put_pixel(x, y, c);
                }
            }
        }
    }
    img
}

/// PNG bytes of `img`.
pub fn png(img: &image::RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("PNG encoding into memory");
    out.into_inner()
}

/// JPEG bytes of `img` at `quality` (1-100).
pub fn jpeg(img: &image::RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .expect("JPEG encoding into memory");
    out
}
