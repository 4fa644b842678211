//! Rendering of parameters and of `%evt.info` as sysdig prints them.
