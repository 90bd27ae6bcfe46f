//! Which of the two roles this process plays, from `IS_FLY_MACHINE_SERVERLESS`.

use std::fmt;

/// The variable that selects the role.
pub const ROLE_VARIABLE: &str = "IS_FLY_MACHINE_SERVERLESS";

/// The two roles of the one binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    /// Serves the store and sends serverless routes to the worker.
    #[default]
    Main,
    /// Serves the serverless routes and sends everything else elsewhere.
    Worker,
}

/// `IS_FLY_MACHINE_SERVERLESS` held something that is neither true nor false.
#[derive(Debug, thiserror::Error)]
#[error("{ROLE_VARIABLE} must be `true`, `1`, `false` or `0` (or unset), not {value:?}")]
pub struct InvalidRole {
    pub value: String,
}

impl Role {
    /// Reads the role marker: unset, empty, `false` or `0` → main; `true` or
    /// `1` → worker, in any letter case. Anything else is an error.
    pub fn from_marker(value: Option<&str>) -> Result<Role, InvalidRole> {
        let Some(raw) = value else {
            return Ok(Role::Main);
        };
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "false" | "0" => Ok(Role::Main),
            "true" | "1" => Ok(Role::Worker),
            _ => Err(InvalidRole {
                value: raw.to_owned(),
            }),
        }
    }

    /// The value of the marker that selects this role.
    pub fn marker(self) -> &'static str {
        match self {
            Role::Main => "false",
            Role::Worker => "true",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Main => "main",
            Role::Worker => "serverless worker",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn unset_false_and_zero_mean_main() {
        for value in [None, Some(""), Some("false"), Some("FALSE"), Some("0")] {
            assert_eq!(Role::from_marker(value).unwrap(), Role::Main, "{value:?}");
        }
    }

    #[test]
    fn true_and_one_in_any_case_mean_worker() {
        for value in ["true", "True", "TRUE", "1", " true "] {
            assert_eq!(
                Role::from_marker(Some(value)).unwrap(),
                Role::Worker,
                "{value}"
            );
        }
    }

    #[test]
    fn anything_else_is_an_error_naming_the_variable() {
        let error = Role::from_marker(Some("yes")).unwrap_err().to_string();
        assert!(error.contains("IS_FLY_MACHINE_SERVERLESS"), "{error}");
        assert!(error.contains("yes"), "{error}");
    }
}
