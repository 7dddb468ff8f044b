"""Learning and improvement: findings, actions and rated risks (sections 2.2, 5 and 6)."""
