//! Types shared by the browser and the server: what the server functions take and return.
//! The enums double as SeaORM column types on the server, so a scope or status can only ever be one of
//! the values below, in Rust and in the database alike.

use crate::shared::routes;
#[cfg(feature = "ssr")]
use sea_orm::sea_query::StringLen;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a portal user may see and do. The order matters: each scope includes the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))"))]
pub enum Scope {
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "basic-user"))]
    BasicUser,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "office-manager"))]
    OfficeManager,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "reseller"))]
    Reseller,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "super-user"))]
    SuperUser,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::BasicUser, Scope::OfficeManager, Scope::Reseller, Scope::SuperUser];

    /// The name used on the command line and in the database.
    pub fn slug(self) -> &'static str {
        match self {
            Scope::BasicUser => "basic-user",
            Scope::OfficeManager => "office-manager",
            Scope::Reseller => "reseller",
            Scope::SuperUser => "super-user",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Scope::BasicUser => "Basic User",
            Scope::OfficeManager => "Office Manager",
            Scope::Reseller => "Reseller",
            Scope::SuperUser => "Super User",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl std::str::FromStr for Scope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL.into_iter().find(|scope| scope.slug() == s).ok_or_else(|| {
            let names: Vec<_> = Scope::ALL.iter().map(|scope| scope.slug()).collect();
            format!("unknown scope '{s}'; expected one of: {}", names.join(", "))
        })
    }
}

/// Where a subscriber stands: in use, reset and waiting for a new owner, or handed over and waiting
/// for its new owner to choose a password.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))"))]
pub enum UserStatus {
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "active"))]
    Active,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "setup-required"))]
    SetupRequired,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "password-required"))]
    PasswordRequired,
}

impl UserStatus {
    pub const ALL: [UserStatus; 3] = [UserStatus::Active, UserStatus::SetupRequired, UserStatus::PasswordRequired];

    /// The name used in URLs and in the database.
    pub fn slug(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::SetupRequired => "setup-required",
            UserStatus::PasswordRequired => "password-required",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        UserStatus::ALL.into_iter().find(|status| status.slug() == slug)
    }

    pub fn label(self) -> &'static str {
        match self {
            UserStatus::Active => "Active",
            UserStatus::SetupRequired => "Setup Required",
            UserStatus::PasswordRequired => "Password Required",
        }
    }
}

/// The signed-in portal user, as the pages need to know it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub id: i32,
    pub login: String,
    pub extension: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub scope: Scope,
    pub status: UserStatus,
    pub domain: String,
    /// An admin forced a password reset: the user sees only the Change Password page until done.
    pub must_change_password: bool,
}

impl Me {
    pub fn display_name(&self) -> String {
        full_name(&self.first_name, &self.last_name)
    }

    /// Where this user starts: the domain list, their own domain's users, or their own page.
    pub fn home(&self) -> String {
        match self.scope {
            Scope::BasicUser => routes::ME.to_string(),
            Scope::OfficeManager => routes::users(&self.domain),
            Scope::Reseller | Scope::SuperUser => routes::DOMAINS.to_string(),
        }
    }
}

pub fn full_name(first: &str, last: &str) -> String {
    format!("{first} {last}").trim().to_string()
}

/// One row of the Domains page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainSummary {
    pub name: String,
    pub description: String,
    pub reseller: String,
    pub user_count: u64,
}

/// One row of the Users page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i32,
    pub extension: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub status: UserStatus,
    pub device_count: u64,
}

impl UserRow {
    pub fn display_name(&self) -> String {
        full_name(&self.first_name, &self.last_name)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortKey {
    #[default]
    Extension,
    Name,
    Email,
    Status,
}

impl SortKey {
    pub const ALL: [SortKey; 4] = [SortKey::Extension, SortKey::Name, SortKey::Email, SortKey::Status];

    pub fn slug(self) -> &'static str {
        match self {
            SortKey::Extension => "extension",
            SortKey::Name => "name",
            SortKey::Email => "email",
            SortKey::Status => "status",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        SortKey::ALL.into_iter().find(|key| key.slug() == slug)
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Extension => "Extension",
            SortKey::Name => "Name",
            SortKey::Email => "Email",
            SortKey::Status => "Status",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortDir {
    #[default]
    Asc,
    Desc,
}

impl SortDir {
    pub fn flipped(self) -> Self {
        match self {
            SortDir::Asc => SortDir::Desc,
            SortDir::Desc => SortDir::Asc,
        }
    }
}

pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 200;

/// What the Users page asks for: a search, a filter, an order and a page (1-based).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserQuery {
    pub search: String,
    pub status: Option<UserStatus>,
    pub sort: SortKey,
    pub dir: SortDir,
    pub page: u64,
    pub per_page: u64,
}

impl Default for UserQuery {
    fn default() -> Self {
        UserQuery {
            search: String::new(),
            status: None,
            sort: SortKey::default(),
            dir: SortDir::default(),
            page: 1,
            per_page: DEFAULT_PAGE_SIZE,
        }
    }
}

/// One page of a domain's users, with what the pager needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub rows: Vec<UserRow>,
    /// Users matching the search and filter, over all pages.
    pub total: u64,
    pub page: u64,
    pub pages: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_ordered_from_basic_user_to_super_user() {
        assert!(Scope::BasicUser < Scope::OfficeManager);
        assert!(Scope::OfficeManager < Scope::Reseller);
        assert!(Scope::Reseller < Scope::SuperUser);
    }

    #[test]
    fn scope_parses_its_own_slug_and_names_the_valid_ones_otherwise() {
        for scope in Scope::ALL {
            assert_eq!(scope.slug().parse::<Scope>(), Ok(scope));
        }
        let err = "admin".parse::<Scope>().unwrap_err();
        assert!(err.contains("office-manager"), "{err}");
    }

    #[test]
    fn slugs_round_trip() {
        for status in UserStatus::ALL {
            assert_eq!(UserStatus::from_slug(status.slug()), Some(status));
        }
        for key in SortKey::ALL {
            assert_eq!(SortKey::from_slug(key.slug()), Some(key));
        }
        assert_eq!(UserStatus::from_slug("gone"), None);
    }
}
