"""Writers of the pack\x27s files; bundle.build_pack puts them together."""
