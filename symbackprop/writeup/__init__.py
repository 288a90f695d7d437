"""Write-ups: expressions printed in a notation, chain-rule steps (explain), the seeds' derivations,
Jinja2 templates (templates/), LaTeX, PDF and Markdown documents, Jupyter display, figures.
"""
