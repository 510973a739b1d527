"""Data layer: built-in data sets and own files, splits, tokenizers, vocabulary, positive embeddings, batches."""
