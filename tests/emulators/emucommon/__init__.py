"""Pieces shared by the tsarchive test emulators (line protocol, server lifecycle, faults)."""
