//! Element sets from text: two- and three-line TLEs (many per file, CRLF and blank lines
//! tolerated, checksums verified) and CCSDS OMM in JSON as CelesTrak serves it.
//!
//! A bad element set is refused with the file's line number, the columns and the reason.

use chrono::{DateTime, Utc};

/// One element set with the name it was given (the title line of a 3LE, or the OMM's
/// `OBJECT_NAME`).
#[derive(Debug, Clone)]
pub struct ElementSet {
    /// The object's name, if the source gave one.
    pub name: Option<String>,
    /// The parsed mean elements.
    pub elements: sgp4::Elements,
}

impl ElementSet {
    /// The name, or the catalogue number when there is none.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("NORAD {}", self.elements.norad_id))
    }

    /// The epoch of the elements (UTC).
    pub fn epoch(&self) -> DateTime<Utc> {
        self.elements.datetime.and_utc()
    }

    /// The set as one CCSDS OMM record in JSON, the form it is stored in; a TLE loses nothing
    /// SGP4 uses on the way. [`parse_omm_json`] reads it back.
    pub fn to_omm_json(&self) -> String {
        let mut elements = self.elements.clone();
        elements.object_name.clone_from(&self.name);
        serde_json::to_string(&elements).unwrap_or_default()
    }
}

/// Why element sets could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElementsError {
    /// A TLE line is wrong; `line` counts from 1 in the file, columns from 1 in the line.
    #[error("line {line}, columns {first}-{last}: {reason}")]
    Tle {
        /// The file's line.
        line: usize,
        /// First column at fault.
        first: usize,
        /// Last column at fault.
        last: usize,
        /// What was wrong.
        reason: String,
    },
    /// The structure is wrong (a line 2 without its line 1, a lone title line).
    #[error("line {line}: {reason}")]
    Structure {
        /// The file's line.
        line: usize,
        /// What was wrong.
        reason: String,
    },
    /// The OMM JSON could not be read.
    #[error("OMM JSON: {0}")]
    Omm(String),
    /// Nothing to read.
    #[error("no element sets found")]
    Empty,
}

/// The TLE checksum of a line's first 68 columns: digits count their value, a minus sign
/// counts 1, modulo 10. (Lines shorter than 68 columns count what they have.)
pub fn checksum(line: &[u8]) -> u8 {
    let line = &line[..line.len().min(68)];
    let sum: u32 = line
        .iter()
        .map(|b| match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'-' => 1,
            _ => 0,
        })
        .sum();
    u8::try_from(sum % 10).unwrap_or(0)
}

fn check_line(text: &str, number: usize, expected: u8) -> Result<(), ElementsError> {
    let bytes = text.as_bytes();
    let tle = |first, last, reason: String| ElementsError::Tle {
        line: number,
        first,
        last,
        reason,
    };
    if bytes.len() != 69 {
        return Err(tle(
            1,
            bytes.len().max(1),
            format!("a TLE line has 69 characters, this one has {}", bytes.len()),
        ));
    }
    if bytes[0] != b'0' + expected || bytes[1] != b' ' {
        return Err(tle(
            1,
            2,
            format!("expected line {expected} of an element set"),
        ));
    }
    let stated = bytes[68];
    if !stated.is_ascii_digit() {
        return Err(tle(69, 69, "the checksum is not a digit".into()));
    }
    let computed = checksum(bytes);
    if stated - b'0' != computed {
        return Err(tle(
            69,
            69,
            format!(
                "checksum {} does not match the line (it sums to {computed})",
                char::from(stated)
            ),
        ));
    }
    Ok(())
}

/// Parses every element set in `text`: two-line or three-line (a title line before each
/// pair), mixed freely; CRLF line ends and blank lines are fine.
pub fn parse_tle(text: &str) -> Result<Vec<ElementSet>, ElementsError> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches(['\r', ' ', '\t'])))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let mut sets = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let (number, line) = lines[index];
        let (name, first) = if line.starts_with("1 ") {
            (None, index)
        } else if line.starts_with("2 ") {
            return Err(ElementsError::Structure {
                line: number,
                reason: "a line 2 without the line 1 before it".into(),
            });
        } else {
            // A title line: "0 NAME" (as some sources write it) or just the name.
            let title = line.strip_prefix("0 ").unwrap_or(line).trim();
            (Some(title.to_owned()), index + 1)
        };
        let Some(&(n1, l1)) = lines.get(first) else {
            return Err(ElementsError::Structure {
                line: number,
                reason: format!("{line:?} is not followed by the two lines of an element set"),
            });
        };
        let Some(&(n2, l2)) = lines.get(first + 1) else {
            return Err(ElementsError::Structure {
                line: n1,
                reason: "line 1 of an element set is not followed by its line 2".into(),
            });
        };
        check_line(l1, n1, 1)?;
        check_line(l2, n2, 2)?;
        if l1[2..7] != l2[2..7] {
            return Err(ElementsError::Tle {
                line: n2,
                first: 3,
                last: 7,
                reason: format!(
                    "catalogue number {} differs from line 1's {}",
                    l2[2..7].trim(),
                    l1[2..7].trim()
                ),
            });
        }
        // Older sets leave the ephemeris type (column 63) blank; it means type 0, as the
        // reference implementation reads it.
        let mut l1 = l1.as_bytes().to_vec();
        if l1[62] == b' ' {
            l1[62] = b'0';
        }
        let elements = sgp4::Elements::from_tle(name.clone(), &l1, l2.as_bytes())
            .map_err(|e| sgp4_error(&e, n1, n2))?;
        sets.push(ElementSet { name, elements });
        index = first + 2;
    }
    if sets.is_empty() {
        return Err(ElementsError::Empty);
    }
    Ok(sets)
}

/// Turns the `sgp4` crate's error into one naming the file's line. The crate keeps the kind,
/// the TLE line and the columns private; its derived `Debug` shows them
/// (`Error { what: ExpectedFloat, line: Line2, start: 8, end: 16 }`).
fn sgp4_error(error: &sgp4::TleError, line1: usize, line2: usize) -> ElementsError {
    let debug = format!("{error:?}");
    let field = |name: &str| {
        debug
            .split(&format!("{name}: "))
            .nth(1)
            .and_then(|rest| rest.split([',', ' ', '}']).next())
            .map(str::to_owned)
    };
    let number = |name: &str| field(name).and_then(|v| v.parse::<usize>().ok());
    let line = if field("line").as_deref() == Some("Line2") {
        line2
    } else {
        line1
    };
    let reason = match field("what").as_deref() {
        Some("ExpectedFloat") => "expected a number".to_owned(),
        Some("ExpectedFloatWithAssumedDecimalPoint" | "FloatWithAssumedDecimalPointTooLong") => {
            "expected a number with an assumed decimal point".to_owned()
        }
        Some("ExpectedInteger") => "expected a whole number".to_owned(),
        Some("ExpectedSpace") => "expected a space between fields".to_owned(),
        Some("UnknownClassification") => "the classification is U, C or S".to_owned(),
        Some("FromYoOptFailed" | "FromNumSecondsFromMidnightFailed") => {
            "the epoch is not a date".to_owned()
        }
        _ => error.to_string(),
    };
    ElementsError::Tle {
        line,
        first: number("start").map_or(1, |s| s + 1),
        last: number("end").unwrap_or(69),
        reason,
    }
}

/// Parses CCSDS OMM records in JSON (an array, or one object), as CelesTrak serves them.
pub fn parse_omm_json(text: &str) -> Result<Vec<ElementSet>, ElementsError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ElementsError::Omm(e.to_string()))?;
    let records = match value {
        serde_json::Value::Array(items) => items,
        object @ serde_json::Value::Object(_) => vec![object],
        _ => {
            return Err(ElementsError::Omm(
                "expected an object or an array of them".into(),
            ));
        }
    };
    let sets = records
        .into_iter()
        .enumerate()
        .map(|(index, record)| {
            let elements: sgp4::Elements = serde_json::from_value(record)
                .map_err(|e| ElementsError::Omm(format!("record {}: {e}", index + 1)))?;
            Ok(ElementSet {
                name: elements.object_name.clone(),
                elements,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if sets.is_empty() {
        return Err(ElementsError::Empty);
    }
    Ok(sets)
}

/// Parses a file's text as OMM JSON when it starts like JSON, as TLEs otherwise.
pub fn parse(text: &str) -> Result<Vec<ElementSet>, ElementsError> {
    match text.trim_start().chars().next() {
        Some('[' | '{') => parse_omm_json(text),
        _ => parse_tle(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const ISS: &str = "ISS (ZARYA)
1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927
2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537
";

    #[test]
    fn a_three_line_set_with_crlf_and_blank_lines_parses() {
        let text = format!("\r\n{}\r\n\r\n", ISS.replace('\n', "\r\n"));
        let sets = parse_tle(&text).unwrap();
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].name.as_deref(), Some("ISS (ZARYA)"));
        assert_eq!(sets[0].elements.norad_id, 25544);
        assert!((sets[0].elements.inclination - 51.6416).abs() < 1e-9);
    }

    #[test]
    fn two_line_and_three_line_sets_mix_in_one_file() {
        let lines: Vec<&str> = ISS.lines().collect();
        let text = format!("{}\n{}\n{ISS}", lines[1], lines[2]);
        let sets = parse_tle(&text).unwrap();
        assert_eq!(sets.len(), 2);
        assert_eq!(sets[0].name, None);
        assert_eq!(sets[0].label(), "NORAD 25544");
        assert_eq!(sets[1].label(), "ISS (ZARYA)");
    }

    #[test]
    fn an_omm_record_round_trips_a_tle() {
        let set = parse_tle(ISS).unwrap().remove(0);
        let back = parse_omm_json(&set.to_omm_json()).unwrap().remove(0);
        assert_eq!(back.name, set.name);
        assert_eq!(back.elements, set.elements);
    }

    #[test]
    fn a_bad_checksum_names_the_line_and_column() {
        let text = ISS.replace("15.72125391563537", "15.72125391563538");
        let err = parse_tle(&text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 3, columns 69-69: checksum 8 does not match the line (it sums to 7)"
        );
    }

    #[test]
    fn a_short_line_and_a_lone_line_two_are_refused() {
        let text = ISS.replace(" 0  2927", " 0  292");
        assert!(
            parse_tle(&text)
                .unwrap_err()
                .to_string()
                .starts_with("line 2, columns 1-68: a TLE line has 69 characters")
        );
        let lines: Vec<&str> = ISS.lines().collect();
        let err = parse_tle(lines[2]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 1: a line 2 without the line 1 before it"
        );
        assert_eq!(parse_tle("\n\n").unwrap_err(), ElementsError::Empty);
    }

    #[test]
    fn a_garbled_field_is_refused_with_its_columns() {
        // Inclination "51.6416" becomes "51.6x16"; fix the checksum so the field is what fails.
        let mut line2 = ISS.lines().nth(2).unwrap().replace("51.6416", "51.6x16");
        line2.pop();
        let sum = checksum(format!("{line2}0").as_bytes());
        line2.push(char::from(b'0' + sum));
        let text = format!("{}\n{}\n", ISS.lines().nth(1).unwrap(), line2);
        let err = parse_tle(&text).unwrap_err();
        let ElementsError::Tle {
            line,
            first,
            last,
            reason,
        } = err
        else {
            panic!("{err}")
        };
        assert_eq!(line, 2);
        assert!(first <= 9 && last >= 16, "{first}-{last}");
        assert_eq!(reason, "expected a number");
    }

    #[test]
    fn omm_json_as_celestrak_serves_it_parses() {
        let json = r#"[{"OBJECT_NAME":"ISS (ZARYA)","OBJECT_ID":"1998-067A","EPOCH":"2008-09-20T12:25:40.104192","MEAN_MOTION":15.72125391,"ECCENTRICITY":0.0006703,"INCLINATION":51.6416,"RA_OF_ASC_NODE":247.4627,"ARG_OF_PERICENTER":130.536,"MEAN_ANOMALY":325.0288,"EPHEMERIS_TYPE":0,"CLASSIFICATION_TYPE":"U","NORAD_CAT_ID":25544,"ELEMENT_SET_NO":292,"REV_AT_EPOCH":56353,"BSTAR":-1.1606e-5,"MEAN_MOTION_DOT":-2.182e-5,"MEAN_MOTION_DDOT":0}]"#;
        let sets = parse(json).unwrap();
        assert_eq!(sets[0].label(), "ISS (ZARYA)");
        assert_eq!(sets[0].elements.norad_id, 25544);
        assert!(
            parse("[{\"OBJECT_NAME\": 3}]")
                .unwrap_err()
                .to_string()
                .starts_with("OMM JSON: record 1")
        );
    }
}
