"""Reminders and escalations: who is told what, when, and the emails that tell them."""
