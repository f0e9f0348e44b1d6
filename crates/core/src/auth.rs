//! Who is asking: roles and sectors. Officer positions are need-to-know.

use serde::{Deserialize, Serialize};

/// What a user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// May look at tracks, units and alerts of their sectors.
    Viewer,
    /// May also acknowledge alerts.
    Operator,
    /// May do everything, in every sector.
    Admin,
}

impl Role {
    /// Lower-case word.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
    /// Parse the lower-case word.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// User name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Sectors the user may see; `*` means all.
    pub sectors: Vec<String>,
}

impl Principal {
    /// May this caller see things of `sector`?
    pub fn may_see(&self, sector: &str) -> bool {
        self.role == Role::Admin || self.sectors.iter().any(|s| s == "*" || s == sector)
    }
    /// May this caller acknowledge alerts?
    pub fn may_acknowledge(&self) -> bool {
        self.role >= Role::Operator
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewers_see_only_their_sectors_and_cannot_acknowledge() {
        let p = Principal {
            name: "v".into(),
            role: Role::Viewer,
            sectors: vec!["naco".into()],
        };
        assert!(p.may_see("naco"));
        assert!(!p.may_see("sasabe"));
        assert!(!p.may_acknowledge());
    }
}
