"""ACRouter: task features, priors, kNN memory, policy, baselines and benchmark replay. Never imports Textual."""
