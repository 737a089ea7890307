use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// How a submission reached the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Web,
    Api,
    Postal,
    Fax,
    Email,
}

impl Channel {
    pub const ALL: [Channel; 5] = [Channel::Web, Channel::Api, Channel::Postal, Channel::Fax, Channel::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Api => "api",
            Channel::Postal => "postal",
            Channel::Fax => "fax",
            Channel::Email => "email",
        }
    }
}

impl FromStr for Channel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| format!("unknown channel '{s}'"))
    }
}

impl TryFrom<String> for Channel {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}
