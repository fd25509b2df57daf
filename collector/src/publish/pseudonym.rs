//! Pseudonyms for publishing a site publicly: user and host names replaced by stable keyed
//! hashes (HMAC-SHA-256), so the same person keeps the same alias from one publish to the
//! next, and without the key nobody can test a guess of who an alias is. The key comes from
//! the environment and is never written anywhere.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Environment variable that holds the key.
pub const KEY_ENV: &str = "LMSCOPE_PSEUDONYM_KEY";

/// Shortest key accepted, in bytes.
pub const MIN_KEY_LEN: usize = 16;

/// What to replace, and the key.
#[derive(Clone)]
pub struct Pseudonymize {
    key: Vec<u8>,
    pub users: bool,
    pub hosts: bool,
}

impl std::fmt::Debug for Pseudonymize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("Pseudonymize")
            .field("users", &self.users)
            .field("hosts", &self.hosts)
            .finish_non_exhaustive()
    }
}

/// Why pseudonymizing cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PseudonymError {
    #[error("--pseudonymize needs a secret key of at least {MIN_KEY_LEN} bytes in ${KEY_ENV} (it is never published)")]
    MissingKey,
    #[error("--pseudonymize: `{0}` is not one of users, hosts")]
    UnknownKind(String),
}

impl Pseudonymize {
    /// From the CLI's list (`users`, `hosts`) and the key's value.
    pub fn new(kinds: &[String], key: Option<&str>) -> Result<Self, PseudonymError> {
        let key = key
            .filter(|k| k.len() >= MIN_KEY_LEN)
            .ok_or(PseudonymError::MissingKey)?;
        let mut out = Self {
            key: key.as_bytes().to_vec(),
            users: false,
            hosts: false,
        };
        for kind in kinds {
            match kind.trim() {
                "users" | "user" => out.users = true,
                "hosts" | "host" => out.hosts = true,
                other => return Err(PseudonymError::UnknownKind(other.to_owned())),
            }
        }
        Ok(out)
    }

    /// The alias of `name` of `kind` (`user` or `host`): `user-` and 12 hex digits of the
    /// keyed hash of the kind and the name.
    pub fn alias(&self, kind: &str, name: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC accepts keys of any length");
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(name.as_bytes());
        let digest = mac.finalize().into_bytes();
        let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        format!("{kind}-{hex}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(key: &str) -> Pseudonymize {
        Pseudonymize::new(&["users".to_owned(), "hosts".to_owned()], Some(key)).expect("valid")
    }

    #[test]
    fn aliases_are_stable_per_key_and_differ_across_keys_and_kinds() {
        let a = p("0123456789abcdef-key-one");
        assert_eq!(a.alias("user", "alice"), a.alias("user", "alice"));
        assert_ne!(a.alias("user", "alice"), a.alias("user", "bob"));
        assert_ne!(a.alias("user", "ws1"), a.alias("host", "ws1"));
        let b = p("0123456789abcdef-key-two");
        assert_ne!(a.alias("user", "alice"), b.alias("user", "alice"));
        let alias = a.alias("user", "<script>alert(1)</script>");
        assert!(alias.starts_with("user-") && alias.len() == 17, "{alias}");
        assert!(
            !format!("{a:?}").contains("key-one"),
            "the key never prints"
        );
    }

    #[test]
    fn a_short_or_missing_key_and_unknown_kinds_are_refused() {
        let kinds = ["users".to_owned()];
        assert_eq!(
            Pseudonymize::new(&kinds, None).err(),
            Some(PseudonymError::MissingKey)
        );
        assert_eq!(
            Pseudonymize::new(&kinds, Some("short")).err(),
            Some(PseudonymError::MissingKey)
        );
        assert!(matches!(
            Pseudonymize::new(&["features".to_owned()], Some("0123456789abcdef")),
            Err(PseudonymError::UnknownKind(k)) if k == "features"
        ));
    }
}
