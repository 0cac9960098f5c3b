"""Provider adapters: native responsible-AI and monitoring outputs in, normalized evidence out.

Every adapter has the same shape (:class:`govhub.adapters.base.Adapter`): a ``name``, the artifact
``kinds`` it reads, ``launch(...)`` which builds and submits the native job through the official
SDK, and ``read(artifacts) -> Evidence``. :func:`govhub.adapters.registry.get` finds one by name, including
third-party adapters registered under the ``govhub.adapters`` entry-point group.
"""
