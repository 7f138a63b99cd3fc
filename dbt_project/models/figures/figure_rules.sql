-- The verification rules of config/tolerances.yml, one row per figure (read when this view is built, so a
-- changed file takes effect at the next verification build).
{{ figure_rules_relation() }}
