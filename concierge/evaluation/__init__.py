"""Answer-quality evaluation: question sets run through the whole graph, scored and reported."""
