"""Learning live: LeNet-5 training, transfer learning, background runs."""
