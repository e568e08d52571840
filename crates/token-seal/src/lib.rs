#![doc = include_str!("../README.md")]

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretBox, SecretString};

/// The first byte of every sealed value: the format (XChaCha20-Poly1305, 24-byte nonce, then the
/// ciphertext with its 16-byte tag). A later format gets another byte, so old values still open.
const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// Bytes in a key.
pub const KEY_LEN: usize = 32;

/// The key tokens are sealed with: 32 random bytes, never printed (`Debug` shows `[REDACTED]`).
pub struct TokenKey(SecretBox<[u8; KEY_LEN]>);

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey([REDACTED])")
    }
}

/// Why a key could not be read or made.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The text is not base64.
    #[error(
        "the token encryption key is not base64: give 32 random bytes in base64, as `openssl rand -base64 32` prints them"
    )]
    NotBase64,
    /// The text decodes to the wrong number of bytes.
    #[error(
        "the token encryption key is {0} bytes long, it must be 32: make one with `openssl rand -base64 32`"
    )]
    WrongLength(usize),
    /// The key file could not be read or written.
    #[error("the token key file {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The key file is readable by others than its owner.
    #[error(
        "the token key file {path} can be read by other users (mode {mode:o}): `chmod 600 {path}`, or delete it to have a new one made (tokens sealed with it are then lost)"
    )]
    Exposed {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
}

impl TokenKey {
    /// A key from its base64 text (as `openssl rand -base64 32` prints it; surrounding white space
    /// is ignored).
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| KeyError::NotBase64)?;
        let key: [u8; KEY_LEN] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::WrongLength(bytes.len()))?;
        Ok(Self(SecretBox::new(Box::new(key))))
    }

    /// A new random key from the operating system's generator.
    pub fn generate() -> Self {
        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
        Self(SecretBox::new(Box::new(key.into())))
    }

    /// The key as base64 text, to write where it is kept.
    pub fn to_base64(&self) -> SecretString {
        STANDARD.encode(self.0.expose_secret()).into()
    }

    /// The key kept in the file at `path`, made (with a new random key, mode 0600, its folder
    /// created) when the file does not exist. A file others can read is refused.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        let file_error = |source| KeyError::File {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                check_private(path)?;
                Self::from_base64(&text)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
                    std::fs::create_dir_all(folder).map_err(file_error)?;
                }
                let key = Self::generate();
                let mut file = create_private(path).map_err(file_error)?;
                file.write_all(key.to_base64().expose_secret().as_bytes())
                    .and_then(|()| file.write_all(b"\n"))
                    .and_then(|()| file.sync_all())
                    .map_err(file_error)?;
                Ok(key)
            }
            Err(e) => Err(file_error(e)),
        }
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(Key::from_slice(self.0.expose_secret()))
    }

    /// Seals `token` for the place named by `context` (e.g. `connection:<id>:access`): the
    /// sealed value opens only with this key and the same context, so a value copied to another
    /// row does not open there. A fresh random nonce each time: sealing twice gives two values.
    pub fn seal(&self, token: &SecretString, context: &str) -> SealedToken {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: token.expose_secret().as_bytes(),
            aad: context.as_bytes(),
        };
        // Encryption fails only for inputs beyond the cipher's limits (~256 GiB): not a token.
        let ciphertext = self
            .cipher()
            .encrypt(&nonce, payload)
            .unwrap_or_else(|_| unreachable!("a token is far below the cipher's input limit"));
        let mut bytes = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        bytes.push(FORMAT_V1);
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&ciphertext);
        SealedToken(bytes)
    }

    /// Opens a value [`TokenKey::seal`] made for `context`. Errors: the value was sealed with
    /// another key or for another context, or it was altered.
    pub fn open(&self, sealed: &SealedToken, context: &str) -> Result<SecretString, OpenError> {
        let bytes = &sealed.0;
        if bytes.len() < 1 + NONCE_LEN + TAG_LEN || bytes[0] != FORMAT_V1 {
            return Err(OpenError::Malformed);
        }
        let (nonce, ciphertext) = bytes[1..].split_at(NONCE_LEN);
        let payload = Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        let plaintext = self
            .cipher()
            .decrypt(XNonce::from_slice(nonce), payload)
            .map_err(|_| OpenError::WrongKeyOrContext)?;
        String::from_utf8(plaintext)
            .map(SecretString::from)
            .map_err(|_| OpenError::Malformed)
    }
}

/// A token sealed by [`TokenKey::seal`]: what the store keeps. Opaque bytes; `Debug` shows only
/// their length.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedToken(Vec<u8>);

impl SealedToken {
    /// The stored bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// A sealed value read back from storage (checked when opened).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl fmt::Debug for SealedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealedToken({} bytes)", self.0.len())
    }
}

/// Why a sealed token did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Not a value this crate sealed (too short, unknown format).
    #[error("the stored token is not in a format this version can open")]
    Malformed,
    /// Sealed with another key, for another place, or altered.
    #[error(
        "the stored token does not open with this key: TOKEN_ENCRYPTION_KEY changed since it was stored (set the old key back, or connect the workspace again)"
    )]
    WrongKeyOrContext,
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|source| KeyError::File {
            path: path.to_path_buf(),
            source,
        })?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::Exposed {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), KeyError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> SecretString {
        text.to_owned().into()
    }

    #[test]
    fn a_sealed_token_opens_with_its_key_and_context_only() {
        let key = TokenKey::generate();
        let sealed = key.seal(&secret("ntn_oauth_abc"), "connection:c1:access");
        assert_eq!(
            key.open(&sealed, "connection:c1:access")
                .unwrap()
                .expose_secret(),
            "ntn_oauth_abc"
        );
        assert_eq!(
            key.open(&sealed, "connection:c2:access").unwrap_err(),
            OpenError::WrongKeyOrContext
        );
        assert_eq!(
            TokenKey::generate()
                .open(&sealed, "connection:c1:access")
                .unwrap_err(),
            OpenError::WrongKeyOrContext
        );
        let mut altered = sealed.as_bytes().to_vec();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(
            key.open(&SealedToken::from_bytes(altered), "connection:c1:access")
                .unwrap_err(),
            OpenError::WrongKeyOrContext
        );
        assert_eq!(
            key.open(&SealedToken::from_bytes(vec![1, 2, 3]), "x")
                .unwrap_err(),
            OpenError::Malformed
        );
    }

    #[test]
    fn the_plaintext_is_nowhere_in_the_sealed_bytes_and_each_seal_differs() {
        let key = TokenKey::generate();
        let token = "ntn_oauth_plaintext_marker";
        let a = key.seal(&secret(token), "ctx");
        let b = key.seal(&secret(token), "ctx");
        assert_ne!(a, b, "a fresh nonce each time");
        for sealed in [&a, &b] {
            assert!(
                !sealed
                    .as_bytes()
                    .windows(token.len())
                    .any(|w| w == token.as_bytes())
            );
        }
        assert!(!format!("{a:?}").contains(token));
        assert_eq!(format!("{key:?}"), "TokenKey([REDACTED])");
    }

    #[test]
    fn keys_read_from_base64_say_what_is_wrong() {
        let key = TokenKey::generate();
        let text = key.to_base64();
        let again = TokenKey::from_base64(&format!("  {}\n", text.expose_secret())).unwrap();
        let sealed = key.seal(&secret("t"), "c");
        assert_eq!(again.open(&sealed, "c").unwrap().expose_secret(), "t");
        assert!(matches!(
            TokenKey::from_base64("not base64!"),
            Err(KeyError::NotBase64)
        ));
        let short = STANDARD.encode([0u8; 16]);
        let error = TokenKey::from_base64(&short).unwrap_err();
        assert!(matches!(error, KeyError::WrongLength(16)));
        assert!(error.to_string().contains("openssl rand -base64 32"));
    }

    #[test]
    fn a_key_file_is_made_private_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys").join("token.key");
        let made = TokenKey::load_or_create(&path).unwrap();
        let read = TokenKey::load_or_create(&path).unwrap();
        let sealed = made.seal(&secret("t"), "c");
        assert_eq!(read.open(&sealed, "c").unwrap().expose_secret(), "t");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let error = TokenKey::load_or_create(&path).unwrap_err();
            assert!(matches!(error, KeyError::Exposed { .. }), "{error}");
            assert!(error.to_string().contains("chmod 600"));
        }
    }

    proptest::proptest! {
        #[test]
        fn any_token_round_trips(token in "\\PC{0,300}", context in "[a-z:0-9]{0,40}") {
            let key = TokenKey::generate();
            let sealed = key.seal(&secret(&token), &context);
            let opened = key.open(&sealed, &context).unwrap();
            proptest::prop_assert_eq!(opened.expose_secret(), token.as_str());
        }
    }
}
