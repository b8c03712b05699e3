//! The words a replicated column may hold, one enum per column: the registry's value rules,
//! the console's workflows and its screens all use these, so a status is spelled in one place.
//! Each word is stored as written here; each has a label for people.

use std::fmt;

/// Declares an enum of stored words: its variants with their stored word and label, `ALL` in
/// order, `WORDS` (what the registry's `OneOf` rule accepts), `as_str`, `label` and `parse`.
macro_rules! stored_words {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $word:literal, $label:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: [Self; [$($word),+].len()] = [$(Self::$variant),+];

            /// Every stored word, in the same order.
            pub const WORDS: &'static [&'static str] = &[$($word),+];

            /// The word stored in the replica.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $word, )+
                }
            }

            /// The word shown to people.
            pub fn label(self) -> &'static str {
                match self {
                    $( Self::$variant => $label, )+
                }
            }

            /// From its stored word; `None` for any other text.
            pub fn parse(word: &str) -> Option<Self> {
                match word {
                    $( $word => Some(Self::$variant), )+
                    _ => None,
                }
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                let word = value.as_str()?;
                Self::parse(word).ok_or_else(|| {
                    rusqlite::types::FromSqlError::Other(
                        format!("{word:?} is not one of {}", Self::WORDS.join(", ")).into(),
                    )
                })
            }
        }

        impl rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(self.as_str().into())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let word = String::deserialize(deserializer)?;
                Self::parse(&word).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "{word:?} is not one of {}",
                        Self::WORDS.join(", ")
                    ))
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_words! {
    /// Where a launch stands.
    LaunchStatus {
        /// On the plan, no date committed.
        Planned = "planned", "Planned";
        /// Dated and selling.
        Scheduled = "scheduled", "Scheduled";
        /// Passengers are boarding.
        Boarding = "boarding", "Boarding";
        /// Flying.
        Launched = "launched", "Launched";
        /// Back on the ground.
        Landed = "landed", "Landed";
        /// Called off for the day; its passengers need another launch.
        Scrubbed = "scrubbed", "Scrubbed";
        /// Called off for good.
        Cancelled = "cancelled", "Cancelled";
    }
}

impl LaunchStatus {
    /// Whether bookings may still be made or moved onto it.
    pub fn takes_bookings(self) -> bool {
        matches!(self, Self::Planned | Self::Scheduled)
    }

    /// Whether it was called off (its bookings are cancelled and refunded).
    pub fn is_called_off(self) -> bool {
        matches!(self, Self::Scrubbed | Self::Cancelled)
    }

    /// The statuses it may move to, as the registry's transitions allow.
    pub fn moves(self) -> Vec<Self> {
        super::registry::LAUNCH_TRANSITIONS
            .allowed
            .iter()
            .filter(|(from, _)| *from == self.as_str())
            .filter_map(|(_, to)| Self::parse(to))
            .collect()
    }
}

stored_words! {
    /// Where a booking stands.
    BookingStatus {
        /// Waiting for a seat to free.
        Waitlisted = "waitlisted", "WAITLISTED";
        /// A seat held for a while, not yet sold.
        Pending = "pending", "HELD";
        /// Sold.
        Confirmed = "confirmed", "CONFIRMED";
        /// At the spaceport and ready to fly.
        CheckedIn = "checked_in", "CHECKED IN";
        /// On board.
        Boarded = "boarded", "BOARDED";
        /// Cancelled by the customer or the operator.
        Cancelled = "cancelled", "CANCELLED";
        /// Did not turn up.
        NoShow = "no_show", "NO SHOW";
        /// The hold lapsed before it was confirmed.
        Expired = "expired", "EXPIRED";
    }
}

impl BookingStatus {
    /// Whether the passenger has (or, while held, may get) a seat on the flight.
    pub fn is_seated(self) -> bool {
        matches!(
            self,
            Self::Pending | Self::Confirmed | Self::CheckedIn | Self::Boarded
        )
    }

    /// Whether nothing more can happen to it.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Cancelled | Self::NoShow | Self::Expired)
    }
}

stored_words! {
    /// A passenger's medical clearance.
    MedicalStatus {
        /// Not assessed yet.
        Pending = "pending", "Pending";
        /// Fit to fly.
        Cleared = "cleared", "Cleared";
        /// Fit to fly with restrictions.
        Restricted = "restricted", "Restricted";
        /// Not fit to fly.
        Denied = "denied", "Denied";
    }
}

/// A passenger's clearance is pending until someone records otherwise.
impl Default for MedicalStatus {
    fn default() -> Self {
        Self::Pending
    }
}

stored_words! {
    /// Where an invoice stands.
    InvoiceStatus {
        /// Issued, not paid.
        Unpaid = "unpaid", "Unpaid";
        /// Paid.
        Paid = "paid", "Paid";
        /// Paid back.
        Refunded = "refunded", "Refunded";
    }
}

stored_words! {
    /// Where an incident stands.
    IncidentStatus {
        /// Being worked.
        Active = "active", "ACTIVE";
        /// Under control, still watched.
        Stable = "stable", "STABLE";
        /// Over; the report can be written.
        Closed = "closed", "CLOSED";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_parses_back_to_its_value_and_nothing_else_parses() {
        for status in LaunchStatus::ALL {
            assert_eq!(LaunchStatus::parse(status.as_str()), Some(status));
        }
        for status in BookingStatus::ALL {
            assert_eq!(BookingStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(LaunchStatus::parse("Scheduled"), None);
        assert_eq!(InvoiceStatus::parse(""), None);
        assert_eq!(
            LaunchStatus::WORDS,
            LaunchStatus::ALL.map(LaunchStatus::as_str)
        );
        assert_eq!(IncidentStatus::Closed.to_string(), "closed");
        assert_eq!(MedicalStatus::Restricted.label(), "Restricted");
        assert_eq!(
            LaunchStatus::Scheduled.moves(),
            [
                LaunchStatus::Boarding,
                LaunchStatus::Scrubbed,
                LaunchStatus::Cancelled
            ]
        );
        assert!(LaunchStatus::Landed.moves().is_empty());
    }
}
