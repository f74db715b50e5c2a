"""What Codex runs: hook entry points, the route launcher, the verifier and Codex config writers."""
