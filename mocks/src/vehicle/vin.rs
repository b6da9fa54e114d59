//! Vehicle identification numbers (VIN, 车辆识别代号, GB 16735 / ISO 3779): 17 characters
//! without I, O and Q, a check digit at position 9 computed by the North-American rule
//! (transliteration, weights 8 7 6 5 4 3 2 10 0 9 8 7 6 5 4 3 2, sum mod 11, 10 → `X`), and
//! the model-year code at position 10. The alphabet and check digit are the connector's own
//! (`assethub_connectors::vehicle::vin`), so generated VINs pass the connector's check.

/// Whether `vin` is 17 VIN characters with a correct check digit.
pub use assethub_connectors::vehicle::vin::check_digit_ok as is_valid;
pub use assethub_connectors::vehicle::vin::{check_digit, ALPHABET};

/// Model-year codes from 2010 (`A`) in 30-year cycles, skipping I, O, Q, U, Z and 0.
const YEAR_CODES: &str = "ABCDEFGHJKLMNPRSTVWXY123456789";

/// The model-year code for `year` (2010 → `A`, 2024 → `R`).
pub fn year_code(year: u16) -> char {
    let codes: Vec<char> = YEAR_CODES.chars().collect();
    let index = usize::from(year.saturating_sub(2010)) % codes.len();
    codes[index]
}

/// Assembles a VIN from its parts, filling in the check digit.
pub fn assemble(wmi: &str, vds: &str, year: u16, plant: char, serial: u32) -> String {
    let draft = format!("{wmi}{vds}0{}{plant}{serial:06}", year_code(year));
    let check = check_digit(&draft).unwrap_or('0');
    let mut vin: Vec<char> = draft.chars().collect();
    if vin.len() == 17 {
        vin[8] = check;
    }
    vin.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_check_digits() {
        // The classic worked example of the North-American rule.
        assert_eq!(check_digit("1M8GDM9AXKP042788"), Some('X'));
        assert!(is_valid("1M8GDM9AXKP042788"));
        assert!(is_valid("11111111111111111"));
        assert!(!is_valid("1M8GDM9A1KP042788"));
        assert_eq!(check_digit("1M8GDM9AXKP04278O"), None);
        assert_eq!(check_digit("SHORT"), None);
    }

    #[test]
    fn assembles_valid_vins() {
        let vin = assemble("LSV", "AN63F", 2019, 'N', 123);
        assert_eq!(vin.len(), 17);
        assert!(vin.starts_with("LSVAN63F"));
        assert_eq!(&vin[9..], "KN000123");
        assert!(is_valid(&vin));
        assert!(vin.chars().all(|c| ALPHABET.contains(c)));
        assert_eq!(year_code(2024), 'R');
        assert_eq!(year_code(2010), 'A');
    }
}
