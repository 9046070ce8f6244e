"""Publishing: what a thing's document, the vocabulary, the dataset description and JSON-LD say."""
