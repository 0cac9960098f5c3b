"""The hub service: the one enforcement point of the governance workflow.

It runs in the hub, under its own identity (on AWS a Lambda function with a function URL that uses
AWS_IAM auth), and it is the only principal that may write the hub registry, the audit log and the
model cards. Callers (a team's CI, approvers, platform admins) send it requests; it reads who they
are from authentication, never from the request, and applies :mod:`govhub.core.workflow`.

- :mod:`govhub.service.app`: the cloud-neutral request handling (actions, validation, responses);
- :mod:`govhub.service.aws_lambda`: the AWS adapter (function URL events in, HTTP responses out);
- :mod:`govhub.service.client`: how the CLI calls it (SigV4-signed HTTPS, or in-process on the emulator).

The same :class:`govhub.service.app.HubService` serves an Azure Function or a Cloud Run service: an
adapter only turns the platform's request and authenticated principal into :class:`~govhub.core.ports.Actor`
and a JSON body, and the service's :class:`~govhub.service.app.Response` back into the platform's reply.
"""
