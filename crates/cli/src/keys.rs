//! `clipfed keys`: the public key of a signing secret, and a Kubernetes Secret with fresh keys for
//! the Helm chart (`keys.existingSecret`; docs/deploy.md). Keys are made from the operating
//! system's random source and printed once; nothing is written to disk.

use std::process::ExitCode;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore;
use secrecy::SecretString;

/// `clipfed keys public`: the secret comes on stdin so it never shows in a process list.
pub fn public() -> anyhow::Result<ExitCode> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let secret = SecretString::from(line.trim_end_matches(['\r', '\n']).to_owned());
    println!("{}", kit::keys::public_of(&secret)?);
    Ok(ExitCode::SUCCESS)
}

/// A new secret: 48 random bytes, base64url (64 characters, over `kit::keys::MIN_SECRET_LEN`).
fn fresh() -> anyhow::Result<String> {
    let mut bytes = [0u8; 48];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| anyhow::anyhow!("the system's random source failed: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The signers: the name of the secret and of its public key in the Secret (the router's caller
/// headers, the upload service's own calls, the user service's tokens).
const SIGNERS: [(&str, &str); 3] = [
    ("router-signing-key", "router-public-key"),
    ("upload-signing-key", "upload-public-key"),
    ("token-signing-key", "token-public-key"),
];

/// The keys of one deployment by their name in the Secret: the three signing secrets with their
/// public keys, and the MFA encryption key.
fn deployment_keys() -> anyhow::Result<Vec<(&'static str, String)>> {
    let mut out = Vec::new();
    for (secret_name, public_name) in SIGNERS {
        let secret = fresh()?;
        let public = kit::keys::public_of(&SecretString::from(secret.clone()))?;
        out.push((secret_name, secret));
        out.push((public_name, public));
    }
    out.push(("mfa-key", fresh()?));
    Ok(out)
}

/// The Secret manifest (YAML): `stringData`, so it reads as it is applied.
pub fn secret_manifest(name: &str, namespace: Option<&str>) -> anyhow::Result<String> {
    if name.is_empty()
        || name.len() > 253
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    {
        anyhow::bail!(
            "{name:?} is not a Kubernetes object name (lowercase letters, digits, - and .)"
        );
    }
    let mut out = format!(
        "# clipfed's keys (cargo run -p clipfed -- keys secret): apply once, keep it; the chart reads it\n# through keys.existingSecret. Replacing it signs everyone out.\napiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n"
    );
    if let Some(ns) = namespace {
        out.push_str(&format!("  namespace: {ns}\n"));
    }
    out.push_str("type: Opaque\nstringData:\n");
    for (key, value) in deployment_keys()? {
        out.push_str(&format!("  {key}: \"{value}\"\n"));
    }
    Ok(out)
}

/// `clipfed keys secret --name NAME [--namespace NS]`.
pub fn secret(name: &str, namespace: Option<&str>) -> anyhow::Result<ExitCode> {
    print!("{}", secret_manifest(name, namespace)?);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value<'a>(manifest: &'a str, key: &str) -> &'a str {
        let line = manifest
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{key}:")))
            .unwrap_or_else(|| panic!("no {key}"));
        line.split_once(": ").unwrap().1.trim_matches('"')
    }

    #[test]
    fn the_secret_holds_fresh_pairs_whose_public_keys_match() {
        let one = secret_manifest("clipfed-keys", Some("video")).unwrap();
        let two = secret_manifest("clipfed-keys", None).unwrap();
        assert!(one.contains("name: clipfed-keys\n  namespace: video\n"));
        for (secret_name, public_name) in SIGNERS {
            let secret = value(&one, secret_name);
            assert!(secret.len() >= kit::keys::MIN_SECRET_LEN);
            assert!(!secret.starts_with(kit::config::DEV_KEY_PREFIX));
            let public = kit::keys::public_of(&SecretString::from(secret.to_owned())).unwrap();
            assert_eq!(value(&one, public_name), public);
            assert_ne!(secret, value(&two, secret_name), "keys repeat");
        }
        assert_ne!(value(&one, "mfa-key"), value(&two, "mfa-key"));
        assert!(value(&one, "mfa-key").len() >= 32);
    }

    #[test]
    fn a_bad_name_is_refused() {
        for bad in ["", "Clipfed", "a b", "keys/x"] {
            assert!(secret_manifest(bad, None).is_err(), "{bad:?}");
        }
    }
}
