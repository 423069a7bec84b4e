"""The port-blind model: flow features, a tree ensemble in the project's own file format,
training, evaluation and its combination with the payload detectors."""
