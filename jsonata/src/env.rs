//! Variable scopes: a chain of frames; blocks and lambda calls push a frame, `:=` binds
//! in the innermost one. Built-in functions are looked up after the chain.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use crate::value::Value;

/// A shared scope.
pub type Env = Rc<Frame>;

/// One scope level.
#[derive(Debug, Default)]
pub struct Frame {
    vars: RefCell<HashMap<Arc<str>, Value>>,
    parent: Option<Env>,
}

impl Frame {
    /// A root scope.
    pub fn root() -> Env {
        Rc::new(Frame::default())
    }

    /// A child scope of `parent`.
    pub fn child(parent: &Env) -> Env {
        Rc::new(Frame {
            vars: RefCell::new(HashMap::new()),
            parent: Some(parent.clone()),
        })
    }

    /// Binds a name in this scope.
    pub fn bind(&self, name: &str, v: Value) {
        self.vars.borrow_mut().insert(name.into(), v);
    }

    /// Removes every binding of this scope.
    pub fn clear(&self) {
        self.vars.borrow_mut().clear();
    }

    /// Looks a name up through the chain (`None` if unbound).
    pub fn lookup(&self, name: &str) -> Option<Value> {
        if let Some(v) = self.vars.borrow().get(name) {
            return Some(v.clone());
        }
        self.parent.as_ref().and_then(|p| p.lookup(name))
    }
}
