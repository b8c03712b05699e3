//! Passwords (argon2) and bearer tokens (random, stored only as SHA-256).

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use sha2::{Digest, Sha256};

use galaxium_sync::schema::registry::Role;

/// Who made a request, once their token checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// User name.
    pub user: String,
    /// Their role.
    pub role: Role,
    /// The console the token is bound to (none for a sign-in without a device: a telemetry
    /// producer's, or an older console's).
    pub device: Option<BoundDevice>,
    /// For a service account's API token, the one thing it may do.
    pub scope: Option<Scope>,
    /// Inside a training session: acting with every write the registry allows, and
    /// commanding the session's vehicle as a controller does (see [`Principal::commanding_role`]).
    pub practising: bool,
}

/// What a service account's API token may do: one thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Read `/metrics` (a Prometheus scraper).
    Metrics,
    /// Post telemetry batches (a ground-segment producer).
    Telemetry,
}

impl Scope {
    /// As stored and typed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Metrics => "metrics",
            Self::Telemetry => "telemetry",
        }
    }
}

impl std::str::FromStr for Scope {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "metrics" => Ok(Self::Metrics),
            "telemetry" => Ok(Self::Telemetry),
            other => Err(format!("{other:?} is not a scope: metrics or telemetry")),
        }
    }
}

impl Principal {
    /// A user signed in without a device.
    pub fn of(user: impl Into<String>, role: Role) -> Self {
        Self {
            user: user.into(),
            role,
            device: None,
            scope: None,
            practising: false,
        }
    }

    /// The role the command dictionary judges: a training session's participants practise
    /// the controller's work on the session's vehicle, whatever their own role.
    pub fn commanding_role(&self) -> Role {
        if self.practising {
            Role::Controller
        } else {
            self.role
        }
    }
}

/// The device a token is bound to, as the server registered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundDevice {
    /// Its id.
    pub id: String,
    /// Whether it registered as a training sandbox.
    pub training: bool,
}

/// Password checks, on a few threads of their own with a bounded queue.
///
/// Each check holds some 19 MiB while it runs. On the runtime's blocking pool, a flood of
/// sign-ins spread the checks over dozens of threads, and the allocator kept a 19 MiB block
/// for each of them after it ended (a flood took the server to ~1 GiB and it stayed there);
/// on a fixed few threads the same blocks are used again and again.
pub struct PasswordChecks {
    jobs: std::sync::mpsc::SyncSender<Box<dyn FnOnce() + Send>>,
}

/// The queue of password checks is full: the sign-in is turned away (the server is busy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChecksBusy;

impl PasswordChecks {
    /// `threads` checking at once, at most `queue` waiting.
    pub fn start(threads: usize, queue: usize) -> Self {
        let (jobs, waiting) = std::sync::mpsc::sync_channel::<Box<dyn FnOnce() + Send>>(queue);
        let waiting = std::sync::Arc::new(std::sync::Mutex::new(waiting));
        for n in 0..threads {
            let waiting = std::sync::Arc::clone(&waiting);
            let started = std::thread::Builder::new()
                .name(format!("password-check-{n}"))
                .spawn(move || {
                    loop {
                        let job = waiting
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => break,
                        }
                    }
                });
            if let Err(err) = started {
                tracing::error!("a password-check thread cannot start: {err}");
            }
        }
        Self { jobs }
    }

    /// Runs `check` on one of the checking threads, or refuses at once when the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        check: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ChecksBusy> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.jobs
            .try_send(Box::new(move || {
                let _ = answer.send(check());
            }))
            .map_err(|_| ChecksBusy)?;
        answered.await.map_err(|_| ChecksBusy)
    }
}

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

std::thread_local! {
    /// The thread's argon2 working memory (some 19 MiB), kept from one check to the next.
    /// Allocated afresh for each check, the allocator kept every freed block on its thread's
    /// heap all the same, and a flood of sign-ins left hundreds of MiB behind.
    static ARGON2_MEMORY: std::cell::RefCell<Vec<argon2::Block>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether `password` matches the stored hash (argon2, any of its variants and versions, with
/// the hash's own parameters), in this thread's kept working memory.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored_hash) else {
        return false;
    };
    let (Ok(params), Ok(algorithm), Some(salt), Some(expected)) = (
        argon2::Params::try_from(&hash),
        argon2::Algorithm::try_from(hash.algorithm),
        hash.salt,
        hash.hash,
    ) else {
        return false;
    };
    let Ok(version) = hash
        .version
        .map_or(Ok(argon2::Version::default()), argon2::Version::try_from)
    else {
        return false;
    };
    let mut salt_bytes = [0_u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut computed = vec![0_u8; expected.len()];
    let blocks = params.block_count();
    let hashed = ARGON2_MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, argon2::Block::default());
        }
        Argon2::new(algorithm, version, params).hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut computed,
            &mut memory[..blocks],
        )
    });
    // `Output` compares in constant time.
    hashed.is_ok() && argon2::password_hash::Output::new(&computed).is_ok_and(|c| c == expected)
}

/// Spends the same effort as a real check, for users that do not exist, so response time
/// does not reveal which names are real. Always false.
pub fn verify_unknown_user(password: &str) -> bool {
    static DUMMY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("no such user").unwrap_or_default());
    let _ = verify_password(password, &DUMMY);
    false
}

/// A new bearer token: 244 random bits from the operating system, as hex.
pub fn new_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// What the store keeps of a token.
pub fn token_hash(token: &str) -> String {
    use std::fmt::Write as _;
    Sha256::digest(token.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_hash_and_nothing_else() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
        // Hashes made with other argon2 parameters (a smaller memory, argon2i) verify too.
        let other = argon2::Argon2::new(
            argon2::Algorithm::Argon2i,
            argon2::Version::V0x13,
            argon2::Params::new(1024, 2, 1, None).unwrap(),
        )
        .hash_password(b"correct horse", &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
        assert!(verify_password("correct horse", &other));
        assert!(!verify_password("wrong horse", &other));
    }

    #[test]
    fn password_checks_run_a_few_at_once_and_turn_away_what_does_not_fit_the_queue() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        let checks = std::sync::Arc::new(PasswordChecks::start(1, 1));
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (started, running) = std::sync::mpsc::channel::<()>();
        runtime.block_on(async {
            // One runs (held), one waits; the third does not fit.
            let on = std::sync::Arc::clone(&checks);
            let first = tokio::spawn(async move {
                on.run(move || {
                    started.send(()).unwrap();
                    held.recv().unwrap();
                    1
                })
                .await
            });
            tokio::task::spawn_blocking(move || running.recv().unwrap())
                .await
                .unwrap();
            let on = std::sync::Arc::clone(&checks);
            let second = tokio::spawn(async move { on.run(|| 2).await });
            // The second is in the queue once its task has run up to its wait.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            assert_eq!(checks.run(|| 3).await, Err(ChecksBusy));
            release.send(()).unwrap();
            assert_eq!(first.await.unwrap(), Ok(1));
            assert_eq!(second.await.unwrap(), Ok(2));
        });
    }

    #[test]
    fn tokens_are_long_unique_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
