//! The pure planner of DESIGN §4: decides, from a link and both sides' records, what to write.
//! No I/O, no async: everything here is a function of its inputs.
