//! Human durations for flags such as `--interval 30s`.

use std::time::Duration;

/// Why a duration flag could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "invalid duration {input:?}: {reason} (examples: 30s, 5m, 1h, 7d, 250ms, or plain seconds)"
)]
pub struct DurationError {
    input: String,
    reason: &'static str,
}

/// Parses `250ms`, `30s`, `5m`, `1h`, `7d` (a day is 24 hours) or a plain number of seconds.
///
/// A zero duration is refused: every duration we configure is an interval or a timeout, and zero
/// would make a loop spin.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let error = |reason| DurationError {
        input: input.to_owned(),
        reason,
    };
    let trimmed = input.trim();
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (digits, unit) = trimmed.split_at(split);
    if digits.is_empty() {
        return Err(error("it must start with a number"));
    }
    let amount: u64 = digits
        .parse()
        .map_err(|_| error("the number is too large"))?;
    let millis_per_unit: u64 = match unit.trim() {
        "ms" => 1,
        "" | "s" | "sec" | "secs" => 1_000,
        "m" | "min" | "mins" => 60_000,
        "h" | "hr" | "hrs" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        _ => return Err(error("the unit must be ms, s, m, h or d")),
    };
    let millis = amount
        .checked_mul(millis_per_unit)
        .ok_or_else(|| error("the duration is too large"))?;
    if millis == 0 {
        return Err(error("it must be greater than zero"));
    }
    Ok(Duration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_unit() {
        let cases = [
            ("250ms", 250),
            ("30s", 30_000),
            ("30", 30_000),
            ("5m", 300_000),
            ("1h", 3_600_000),
            ("7d", 604_800_000),
            (" 2 h ", 7_200_000),
        ];
        for (input, millis) in cases {
            assert_eq!(
                parse_duration(input),
                Ok(Duration::from_millis(millis)),
                "{input}"
            );
        }
    }

    #[test]
    fn refuses_what_it_cannot_read_and_says_why() {
        for input in ["", "m", "5 weeks", "-5s", "0s", "99999999999999999999s"] {
            let message = parse_duration(input).unwrap_err().to_string();
            assert!(message.contains("examples: 30s"), "{input}: {message}");
        }
    }
}
