"""LEADS and Wikibase: the model as properties and classes, the property map, the codec and the client."""
