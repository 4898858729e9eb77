//! Validation of a [`super::TailPolicyDocument`] into a [`super::TailPolicySet`]: every check
//! runs before anything is built into the set, regexes are compiled once, and every error
//! names the policy it is about.

mod compound;
mod dispatch;
mod leaf;
mod top;
