"""Word2Vec embeddings: training (gensim engine), the vectors store, analogies,
evaluation on analogy / similarity sets, and word2vec file formats."""
