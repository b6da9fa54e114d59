//! Vehicle identification numbers (VIN, 车辆识别代号, GB 16735 / ISO 3779): the VIN alphabet
//! (17 characters without I, O and Q) and the check digit at position 9 by the North-American
//! rule (transliteration, weights 8 7 6 5 4 3 2 10 0 9 8 7 6 5 4 3 2, sum mod 11, 10 → `X`).
//! Public so the mock administration generates VINs by the very rule the connector checks.

/// Characters allowed anywhere in a VIN.
pub const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ";
const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

/// Transliterated value of an (upper-case) VIN character.
fn value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        'A' | 'J' => Some(1),
        'B' | 'K' | 'S' => Some(2),
        'C' | 'L' | 'T' => Some(3),
        'D' | 'M' | 'U' => Some(4),
        'E' | 'N' | 'V' => Some(5),
        'F' | 'W' => Some(6),
        'G' | 'P' | 'X' => Some(7),
        'H' | 'Y' => Some(8),
        'R' | 'Z' => Some(9),
        _ => None,
    }
}

/// The check digit for a 17-character VIN (position 9 itself is ignored), if all characters
/// are upper-case VIN characters.
pub fn check_digit(vin: &str) -> Option<char> {
    let chars: Vec<char> = vin.chars().collect();
    if chars.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, weight) in chars.iter().zip(WEIGHTS) {
        sum += value(*c)? * weight;
    }
    Some(match sum % 11 {
        10 => 'X',
        n => char::from_digit(n, 10).unwrap_or('0'),
    })
}

/// Whether position 9 of a 17-character VIN holds its North-American check digit.
pub fn check_digit_ok(vin: &str) -> bool {
    check_digit(vin).is_some_and(|check| vin.chars().nth(8) == Some(check))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_check_digits() {
        // The classic worked example of the North-American rule.
        assert_eq!(check_digit("1M8GDM9AXKP042788"), Some('X'));
        assert!(check_digit_ok("1M8GDM9AXKP042788"));
        assert!(check_digit_ok("11111111111111111"));
        assert!(!check_digit_ok("1M8GDM9A1KP042788"));
        assert_eq!(check_digit("1M8GDM9AXKP04278O"), None);
        assert_eq!(check_digit("SHORT"), None);
        assert!(!check_digit_ok("SHORT"));
    }
}
