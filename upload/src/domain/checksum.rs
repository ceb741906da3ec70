//! tus checksum extension: `Upload-Checksum: <algorithm> <base64 digest>` over one PATCH body.
//! Supported: sha1 (required by the protocol), sha256, md5.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Advertised in `Tus-Checksum-Algorithm`.
pub const ALGORITHMS: &str = "sha1,sha256,md5";

/// A checksum the client promised, and the running hash to compare it with.
pub struct Expected {
    digest: Vec<u8>,
    hasher: Hasher,
}

enum Hasher {
    Sha1(Sha1),
    Sha256(Sha256),
    Md5(Md5),
}

/// Why the header was refused (400).
#[derive(Debug, PartialEq, Eq)]
pub struct BadChecksum(pub &'static str);

impl Expected {
    /// Parses the header value.
    pub fn parse(value: &str) -> Result<Self, BadChecksum> {
        let (algorithm, encoded) = value.trim().split_once(' ').ok_or(BadChecksum(
            "Upload-Checksum must be `<algorithm> <base64 digest>`",
        ))?;
        let (hasher, len) = match algorithm {
            "sha1" => (Hasher::Sha1(Sha1::new()), 20),
            "sha256" => (Hasher::Sha256(Sha256::new()), 32),
            "md5" => (Hasher::Md5(Md5::new()), 16),
            _ => {
                return Err(BadChecksum(
                    "unsupported checksum algorithm (sha1, sha256, md5)",
                ));
            }
        };
        let digest = STANDARD
            .decode(encoded.trim())
            .map_err(|_| BadChecksum("Upload-Checksum digest is not base64"))?;
        if digest.len() != len {
            return Err(BadChecksum("Upload-Checksum digest has the wrong length"));
        }
        Ok(Self { digest, hasher })
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.hasher {
            Hasher::Sha1(h) => h.update(bytes),
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Md5(h) => h.update(bytes),
        }
    }

    /// Whether the bytes seen match the promise.
    pub fn matches(self) -> bool {
        let got: Vec<u8> = match self.hasher {
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Md5(h) => h.finalize().to_vec(),
        };
        got == self.digest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(header: &str, body: &[u8]) -> bool {
        let mut e = Expected::parse(header).unwrap();
        for chunk in body.chunks(3) {
            e.update(chunk);
        }
        e.matches()
    }

    #[test]
    fn each_algorithm_verifies_its_published_digest_of_abc() {
        // Digests of "abc" from FIPS 180 and RFC 1321.
        assert!(check("sha1 qZk+NkcGgWq6PiVxeFDCbJzQ2J0=", b"abc"));
        assert!(check(
            "sha256 ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=",
            b"abc"
        ));
        assert!(check("md5 kAFQmDzST7DWlj99KOF/cg==", b"abc"));
        assert!(!check("sha1 qZk+NkcGgWq6PiVxeFDCbJzQ2J0=", b"abd"));
    }

    #[test]
    fn malformed_headers_are_refused() {
        for bad in ["sha1", "crc32 AAAA", "sha1 !!!", "sha1 AAAA", ""] {
            assert!(Expected::parse(bad).is_err(), "{bad}");
        }
    }
}
