"""The data-space editor (docs/decisions/023): forms for practices, competences and designs, saved as drafts and
published to the Wikibase as the signed-in person, or to the local data space; and Cat's map (``learner``)."""
