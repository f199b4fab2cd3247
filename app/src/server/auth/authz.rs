//! Who may see and act on what. Pure rules over the signed-in `Actor`, checked on the server by every
//! server function; the UI only mirrors them.
//!
//! - Basic User: only their own page.
//! - Office Manager: their own domain.
//! - Reseller: every domain of their reseller.
//! - Super User: every domain.

use crate::server::entities::{domain, user};
use crate::shared::error::AppError;
use crate::shared::model::Scope;
use sea_orm::{ColumnTrait, Condition};

/// The signed-in user on whose behalf a request acts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i32,
    pub login: String,
    pub scope: Scope,
    pub domain_id: i32,
    pub reseller_id: i32,
    /// Which holding of their extension they are (`user::Model::holding`).
    pub holding: i32,
    /// An admin forced a password reset: until a new one is chosen, the user may do nothing else.
    pub must_change_password: bool,
}

/// The domains an actor may manage, as one of the four shapes the scopes give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DomainScope {
    None,
    Domain(i32),
    Reseller(i32),
    All,
}

impl DomainScope {
    /// The rows, of a query joined with `domains`, whose `domain_id` column is in this scope; `None`
    /// when no domain is.
    pub fn condition(self, domain_id: impl ColumnTrait) -> Option<Condition> {
        match self {
            DomainScope::None => None,
            DomainScope::Domain(id) => Some(Condition::all().add(domain_id.eq(id))),
            DomainScope::Reseller(id) => Some(Condition::all().add(domain::Column::ResellerId.eq(id))),
            DomainScope::All => Some(Condition::all()),
        }
    }

    pub fn contains(self, domain: &domain::Model) -> bool {
        match self {
            DomainScope::None => false,
            DomainScope::Domain(id) => domain.id == id,
            DomainScope::Reseller(id) => domain.reseller_id == id,
            DomainScope::All => true,
        }
    }
}

/// An admin and a domain they may manage. Only `Actor::manage` makes one, after checking, so an
/// operation that takes a `ManagedDomain` cannot be reached for a domain outside its actor's scope.
#[derive(Clone, Debug)]
pub struct ManagedDomain {
    actor: Actor,
    domain: domain::Model,
}

impl ManagedDomain {
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn domain(&self) -> &domain::Model {
        &self.domain
    }
}

impl Actor {
    /// `user` of `domain`, acting now (work started on the command line or by a benchmark).
    pub fn of(user: &user::Model, domain: &domain::Model) -> Actor {
        Actor {
            user_id: user.id,
            login: user.login.clone(),
            scope: user.scope,
            domain_id: domain.id,
            reseller_id: domain.reseller_id,
            holding: user.holding,
            must_change_password: user.must_change_password,
        }
    }

    pub fn domain_scope(&self) -> DomainScope {
        match self.scope {
            Scope::BasicUser => DomainScope::None,
            Scope::OfficeManager => DomainScope::Domain(self.domain_id),
            Scope::Reseller => DomainScope::Reseller(self.reseller_id),
            Scope::SuperUser => DomainScope::All,
        }
    }

    /// Refuses anyone below Office Manager: the admin pages are not theirs.
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.scope >= Scope::OfficeManager {
            Ok(())
        } else {
            Err(AppError::Forbidden("This page is for Office Managers and above.".into()))
        }
    }

    /// The domain `name` (`found`, if it exists), if this actor may manage it. A domain outside the
    /// actor's scope gets the same answer whether or not it exists, so that its existence does not
    /// leak; only a Super User, who may see every domain, is told that a name is unknown.
    pub fn manage(&self, name: &str, found: Option<domain::Model>) -> Result<ManagedDomain, AppError> {
        self.require_admin()?;
        match found {
            Some(domain) if self.domain_scope().contains(&domain) => Ok(ManagedDomain { actor: self.clone(), domain }),
            None if self.scope == Scope::SuperUser => {
                Err(AppError::NotFound(format!("There is no domain named {name}.")))
            }
            _ => Err(AppError::Forbidden(format!("You do not have access to the domain {name}."))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(scope: Scope) -> Actor {
        Actor {
            user_id: 1,
            login: "100@d1.example".into(),
            scope,
            domain_id: 1,
            reseller_id: 10,
            holding: 1,
            must_change_password: false,
        }
    }

    const OWN: (i32, i32) = (1, 10);
    const SIBLING: (i32, i32) = (2, 10);
    const FOREIGN: (i32, i32) = (3, 20);

    fn may_manage(scope: Scope, (id, reseller): (i32, i32)) -> bool {
        let target = domain::Model::example(id, reseller);
        actor(scope).manage(&target.name.clone(), Some(target)).is_ok()
    }

    #[test]
    fn office_manager_manages_only_their_own_domain() {
        assert!(may_manage(Scope::OfficeManager, OWN));
        assert!(!may_manage(Scope::OfficeManager, SIBLING));
        assert!(!may_manage(Scope::OfficeManager, FOREIGN));
    }

    #[test]
    fn reseller_manages_the_domains_of_their_reseller() {
        assert!(may_manage(Scope::Reseller, OWN));
        assert!(may_manage(Scope::Reseller, SIBLING));
        assert!(!may_manage(Scope::Reseller, FOREIGN));
    }

    #[test]
    fn super_user_manages_every_domain() {
        assert!(may_manage(Scope::SuperUser, OWN));
        assert!(may_manage(Scope::SuperUser, SIBLING));
        assert!(may_manage(Scope::SuperUser, FOREIGN));
    }

    #[test]
    fn basic_user_manages_no_domain_not_even_their_own() {
        assert!(!may_manage(Scope::BasicUser, OWN));
        assert!(matches!(actor(Scope::BasicUser).require_admin(), Err(AppError::Forbidden(_))));
    }

    #[test]
    fn an_unknown_domain_is_only_named_as_unknown_to_a_super_user() {
        assert!(matches!(actor(Scope::SuperUser).manage("x.example", None), Err(AppError::NotFound(_))));
        for scope in [Scope::OfficeManager, Scope::Reseller] {
            assert!(matches!(actor(scope).manage("x.example", None), Err(AppError::Forbidden(_))));
        }
    }
}
