"""{{ cookiecutter.project_name }}: a governed model project (team {{ cookiecutter.team }}, use case
{{ cookiecutter.use_case }}, risk tier {{ cookiecutter.risk_tier }})."""
