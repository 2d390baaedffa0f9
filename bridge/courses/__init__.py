"""Course skeletons in Moodle and Open edX, generated from a credential design."""
