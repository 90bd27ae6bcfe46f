//! Identifiers shaped like Fly's: machine ids, versions (ULID-like instance
//! ids), names, private addresses and request ids.

use std::cell::RefCell;
use std::hash::{BuildHasher, RandomState};
use std::time::{SystemTime, UNIX_EPOCH};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

thread_local! {
    /// Seeded from the standard library's per-process random hash keys.
    static RNG: RefCell<ChaCha8Rng> =
        RefCell::new(ChaCha8Rng::seed_from_u64(RandomState::new().hash_one(ids_salt())));
}

fn ids_salt() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default()
}

/// Runs `f` with this thread's random generator.
pub fn with_rng<T>(f: impl FnOnce(&mut ChaCha8Rng) -> T) -> T {
    RNG.with(|rng| f(&mut rng.borrow_mut()))
}

/// Crockford's base-32 alphabet, as ULIDs use it.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

const ADJECTIVES: &[&str] = &[
    "aged", "bold", "calm", "damp", "eager", "fancy", "gentle", "hidden", "icy", "jolly", "lively",
    "misty", "noisy", "odd", "proud", "quiet", "rapid", "silent", "tiny", "wild",
];
const NOUNS: &[&str] = &[
    "thunder", "river", "meadow", "forest", "ember", "harbor", "glade", "summit", "canyon",
    "breeze", "comet", "dune", "frost", "grove", "island", "lagoon", "orbit", "pebble",
];

/// A machine id: 14 lowercase hex digits.
pub fn machine_id() -> String {
    with_rng(|rng| {
        (0..14)
            .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
            .collect()
    })
}

/// A 26-character ULID-like version: 48 bits of milliseconds, then 80 random bits.
pub fn ulid() -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis())
        .unwrap_or_default();
    let random: u128 = with_rng(|rng| rng.random::<u128>()) & ((1u128 << 80) - 1);
    let value = ((millis & ((1u128 << 48) - 1)) << 80) | random;
    (0..26)
        .rev()
        .map(|position| CROCKFORD[((value >> (position * 5)) & 0x1f) as usize] as char)
        .collect()
}

/// A generated machine name such as `aged-thunder-7371`.
pub fn machine_name() -> String {
    with_rng(|rng| {
        let adjective = ADJECTIVES[rng.random_range(0..ADJECTIVES.len())];
        let noun = NOUNS[rng.random_range(0..NOUNS.len())];
        format!("{adjective}-{noun}-{}", rng.random_range(1000..10000))
    })
}

/// A 6PN-looking private IPv6 address, unique enough for one local fleet.
pub fn private_ip() -> String {
    with_rng(|rng| {
        format!(
            "fdaa:0:{:x}:a7b:{:x}:{:x}:{:x}:2",
            rng.random_range(1..0xffff_u32),
            rng.random_range(1..0xff_u32),
            rng.random_range(1..0xffff_u32),
            rng.random_range(1..0xffff_u32),
        )
    })
}

/// A request id as the proxy and the API send it: `<ULID>-<region>`.
pub fn request_id(region: &str) -> String {
    format!("{}-{region}", ulid())
}

/// Microseconds since the Unix epoch, as `fly-replay-src` carries them.
pub fn micros_now() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_micros())
        .unwrap_or_default()
}

/// Milliseconds since the Unix epoch, as machine events carry them.
pub fn millis_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_ids_are_fourteen_lowercase_hex_digits() {
        let id = machine_id();

        assert_eq!(id.len(), 14);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
    }

    #[test]
    fn versions_are_twenty_six_crockford_characters_and_differ() {
        let (first, second) = (ulid(), ulid());

        assert_eq!(first.len(), 26);
        assert!(first.bytes().all(|b| CROCKFORD.contains(&b)));
        assert_ne!(first, second);
    }

    #[test]
    fn names_read_adjective_noun_number() {
        let name = machine_name();

        let parts: Vec<&str> = name.split('-').collect();
        assert_eq!(parts.len(), 3, "{name}");
        assert!(parts[2].parse::<u32>().is_ok(), "{name}");
    }
}
