"""A token's life through a client generated from the served OpenAPI document
(openapi-python-client): list, create, rename, regenerate with and without a body, revoke.
TESSERA_URL and TESSERA_TOKEN (an administrator's) say where and who; the generated package
must be importable."""

import os
import re

from tessera_api_client import AuthenticatedClient
from tessera_api_client.api.me import get_me
from tessera_api_client.api.tokens import (
    create_my_token,
    list_my_tokens,
    regenerate_my_token,
    revoke_my_token,
    update_my_token,
)
from tessera_api_client.models import (
    CreateTokenRequest,
    RegenerateRequest,
    Scope,
    StatusFilter,
    TokenEdit,
)
from tessera_api_client.types import Response

base_url = os.environ["TESSERA_URL"]
admin = AuthenticatedClient(base_url=base_url, token=os.environ["TESSERA_TOKEN"])


def expect(response: Response, status: int):
    """The answer's parsed body, after checking its status."""
    assert response.status_code == status, (response.status_code, response.content)
    assert response.parsed is not None, f"no body with {status}"
    return response.parsed


before = expect(list_my_tokens.sync_detailed(client=admin, limit=200), 200)
assert any(token.name == "clients" for token in before.items), "the caller's own token is listed"

created = expect(
    create_my_token.sync_detailed(
        client=admin,
        body=CreateTokenRequest(
            name="Python client",
            description="openapi-python-client",
            scopes=[Scope("profile:read")],
        ),
    ),
    201,
)
assert re.fullmatch(r"tsr_[0-9A-Za-z]{38}", created.secret), created.secret
assert created.token.name == "Python client"
assert created.token.scopes == ["profile:read"]
assert created.token.state == "effective"
token_id = created.token.id

renamed = expect(
    update_my_token.sync_detailed(token_id, client=admin, body=TokenEdit(name="Python client, renamed")),
    200,
)
assert renamed.name == "Python client, renamed"

# The body is optional: without one the old secret stops at once.
regenerated = expect(regenerate_my_token.sync_detailed(token_id, client=admin), 200)
assert regenerated.secret != created.secret
assert not regenerated.previous_valid_until
overlapping = expect(
    regenerate_my_token.sync_detailed(token_id, client=admin, body=RegenerateRequest(grace_seconds=60)),
    200,
)
assert overlapping.previous_valid_until, "the replaced secret keeps working for a minute"

as_token = AuthenticatedClient(base_url=base_url, token=overlapping.secret)
me = expect(get_me.sync_detailed(client=as_token), 200)
assert me.token.id == token_id

revoked = revoke_my_token.sync_detailed(token_id, client=admin)
assert revoked.status_code == 204, (revoked.status_code, revoked.content)
refused = get_me.sync_detailed(client=as_token)
assert refused.status_code == 401
assert refused.parsed.error.code == "token_revoked", refused.content

after = expect(list_my_tokens.sync_detailed(client=admin, state=StatusFilter("revoked")), 200)
listed = next(token for token in after.items if token.id == token_id)
assert listed.reason == "revoked", listed.reason
assert listed.revoked_at, "listed with its removal date"
print(f"Python client: {created.token.number} listed, created, renamed, regenerated twice, revoked")
