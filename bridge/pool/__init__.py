"""The public pool: people findable by competences that verified credentials back."""
