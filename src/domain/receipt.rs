//! Receipt numbers: 80 random bits in Crockford base32 (no I, L, O, U), four groups of four,
//! and one check character so a mistyped number is caught before it is looked up.
use rand::Rng;
use std::fmt;
use std::str::FromStr;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const DATA_CHARS: usize = 16;
/// A prime modulus: a single wrong character or two swapped neighbours change the check.
const CHECK_MODULUS: u128 = 29;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReceiptNumber(String);

impl ReceiptNumber {
    pub fn generate<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let value: u128 = rng.random::<u128>() >> 48; // 80 bits
        Self::from_value(value)
    }

    fn from_value(value: u128) -> Self {
        let mut digits = [0u8; DATA_CHARS];
        let mut v = value;
        for slot in digits.iter_mut().rev() {
            *slot = (v & 31) as u8;
            v >>= 5;
        }
        let check = (value % CHECK_MODULUS) as usize;
        let mut out = String::with_capacity(DATA_CHARS + 5);
        for (i, d) in digits.iter().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push('-');
            }
            out.push(ALPHABET[*d as usize] as char);
        }
        out.push('-');
        out.push(ALPHABET[check] as char);
        Self(out)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReceiptNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptNumberError {
    Length,
    Character(char),
    Check,
}

fn decode_char(c: char) -> Result<u8, ReceiptNumberError> {
    // Crockford: read O as 0 and I, L as 1, whatever the case.
    let c = match c.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        other => other,
    };
    ALPHABET.iter().position(|&a| a as char == c).map(|p| p as u8).ok_or(ReceiptNumberError::Character(c))
}

impl FromStr for ReceiptNumber {
    type Err = ReceiptNumberError;

    /// Accepts what people type: any case, with or without hyphens and spaces.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let chars: Vec<char> = s.chars().filter(|c| !matches!(c, '-' | ' ' | '\u{3000}' | 'ー' | '－')).collect();
        if chars.len() != DATA_CHARS + 1 {
            return Err(ReceiptNumberError::Length);
        }
        let mut value: u128 = 0;
        for &c in &chars[..DATA_CHARS] {
            value = (value << 5) | u128::from(decode_char(c)?);
        }
        let check = decode_char(chars[DATA_CHARS])?;
        if u128::from(check) != value % CHECK_MODULUS {
            return Err(ReceiptNumberError::Check);
        }
        Ok(Self::from_value(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_80_random_bits_in_a_readable_shape() {
        let mut rng = rand::rng();
        let a = ReceiptNumber::generate(&mut rng);
        let b = ReceiptNumber::generate(&mut rng);
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 16 + 4 + 1);
        assert!(a.as_str().chars().all(|c| c == '-' || ALPHABET.contains(&(c as u8))));
        assert!(!a.as_str().contains(['I', 'L', 'O', 'U']));
    }

    #[test]
    fn round_trips_and_forgives_case_hyphens_and_lookalikes() {
        let n = ReceiptNumber::from_value(0x00AB_CDEF_0123_4567_89AB);
        assert_eq!(n.as_str().parse::<ReceiptNumber>().unwrap(), n);
        let typed = n.as_str().replace('-', "").to_lowercase();
        assert_eq!(typed.parse::<ReceiptNumber>().unwrap(), n);
        let zero = ReceiptNumber::from_value(0);
        assert_eq!("oooo oooo oooo oooo 0".parse::<ReceiptNumber>().unwrap(), zero);
    }

    #[test]
    fn catches_a_mistyped_character_and_swapped_neighbours() {
        let mut rng = rand::rng();
        for _ in 0..200 {
            let n = ReceiptNumber::generate(&mut rng);
            let mut chars: Vec<char> = n.as_str().chars().collect();
            // change the first data character to a different one
            let i = 0;
            let original = chars[i];
            chars[i] = if original == '7' { '8' } else { '7' };
            let typo: String = chars.iter().collect();
            assert!(typo.parse::<ReceiptNumber>().is_err(), "{typo} passed");
            chars[i] = original;
            // swap two neighbours that differ
            if chars[1] != chars[2] {
                chars.swap(1, 2);
                let swapped: String = chars.iter().collect();
                let back = swapped.parse::<ReceiptNumber>();
                // Differences of exactly the modulus are the only blind spot.
                let d = (decode_char(chars[1]).unwrap() as i32 - decode_char(chars[2]).unwrap() as i32).abs();
                if d != 29 {
                    assert!(back.is_err(), "{swapped} passed");
                }
            }
        }
    }

    #[test]
    fn refuses_wrong_lengths_and_characters() {
        assert_eq!("ABC".parse::<ReceiptNumber>(), Err(ReceiptNumberError::Length));
        assert!(matches!("UUUU-UUUU-UUUU-UUUU-U".parse::<ReceiptNumber>(), Err(ReceiptNumberError::Character('U'))));
    }
}
