"""The LEADS data space: practices, competences, outcomes, assessments, credential designs and courses."""
