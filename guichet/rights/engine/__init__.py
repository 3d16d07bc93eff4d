"""The rights engine: national aids from OpenFisca-France, local aids from ``rules/``; no Django models or views.

Modules: ``system`` (the shared tax-benefit system), ``situation`` (the engine's input), ``mapping`` (the only
module that knows OpenFisca's names), ``benefits`` (catalogue), ``calculate`` (batch and Web API), ``local`` (local
aids), ``explain`` (readable explanations), ``from_models`` (input from ``guichet.accounts`` models), ``accel``
(the speed layer: faster, equivalent execution of openfisca-core) and ``scale`` (territory screening over processes).
"""
