//! osm-emulator
