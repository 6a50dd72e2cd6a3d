"""One reusable API test suite for a REST resource (after NetBox's utilities/testing/api.py).

A test class names its resource and mixes in what the endpoint supports; every mixed-in
behaviour is then tested the same way for every resource:

    class TestSensorApi(ApiCrudTests):
        collection_url = "/api/v1/sensors"
        model = Sensor
        create_body = {...}; update_body = {...}; invalid_body = ({...}, "field")
        def make(self, *, owner): ...

For owned resources (`owned = True`) the suite also proves isolation: another user's
object is a 404 on every verb and stays untouched, and staff see and change everything.
The fixtures `user`, `other_user`, `staff_user` and `client_for` come from tests/conftest.py.
"""

from typing import Any, ClassVar

import pytest
from django.db.models import Model
from rest_framework.test import APIClient


class ApiResourceBase:
    collection_url: ClassVar[str]
    model: ClassVar[type[Model]]
    owned: ClassVar[bool] = True
    owner_field: ClassVar[str] = "owner"

    def make(self, *, owner) -> Model:
        raise NotImplementedError

    def detail_url(self, obj: Model) -> str:
        return f"{self.collection_url}/{obj.pk}"

    def response_id(self, obj: Model) -> Any:
        return obj.pk

    @staticmethod
    def assert_error_shape(response, *, status: int, field: str | None = None) -> dict:
        assert response.status_code == status, response.content
        body = response.json()
        assert set(body) == {"error", "details"} and body["error"], body
        if field is not None:
            assert field in body["details"], body
        return body

    @staticmethod
    def listed_ids(response) -> list:
        body = response.json()
        return [item["id"] for item in (body["results"] if isinstance(body, dict) else body)]


class ApiListTests(ApiResourceBase):
    def test_list_needs_authentication(self, db):
        self.assert_error_shape(APIClient().get(self.collection_url), status=401)

    def test_list_shows_own_objects_only(self, user, other_user, client_for):
        mine, theirs = self.make(owner=user), self.make(owner=other_user)
        response = client_for(user).get(self.collection_url)
        assert response.status_code == 200
        listed = self.listed_ids(response)
        assert self.response_id(mine) in listed
        if self.owned:
            assert self.response_id(theirs) not in listed

    def test_staff_list_everyone_s_objects(self, user, other_user, staff_user, client_for):
        objects = [self.make(owner=user), self.make(owner=other_user)]
        listed = self.listed_ids(client_for(staff_user).get(self.collection_url))
        assert {self.response_id(obj) for obj in objects} <= set(listed)

    def test_list_is_paginated(self, user, client_for):
        self.make(owner=user)
        body = client_for(user).get(self.collection_url, {"page_size": 1}).json()
        assert set(body) >= {"count", "next", "previous", "results"} and len(body["results"]) == 1

    def test_collection_answers_with_and_without_trailing_slash(self, user, client_for):
        self.make(owner=user)
        client = client_for(user)
        assert client.get(self.collection_url).json() == client.get(self.collection_url + "/").json()


class ApiGetTests(ApiResourceBase):
    def test_get_own_object(self, user, client_for):
        obj = self.make(owner=user)
        response = client_for(user).get(self.detail_url(obj))
        assert response.status_code == 200
        assert response.json()["id"] == self.response_id(obj)

    def test_another_users_object_is_not_found_when_owned(self, user, other_user, client_for):
        theirs = self.make(owner=other_user)
        response = client_for(user).get(self.detail_url(theirs))
        if self.owned:
            self.assert_error_shape(response, status=404)
        else:  # a shared resource: everyone signed in reads it
            assert response.status_code == 200

    def test_staff_get_anyone_s_object(self, other_user, staff_user, client_for):
        theirs = self.make(owner=other_user)
        assert client_for(staff_user).get(self.detail_url(theirs)).status_code == 200

    def test_unknown_id_is_not_found(self, user, client_for):
        self.assert_error_shape(client_for(user).get(f"{self.collection_url}/does-not-exist"), status=404)


class ApiCreateTests(ApiResourceBase):
    create_body: ClassVar[dict]
    # A body that must be refused, and the field the error must name.
    invalid_body: ClassVar[tuple[dict, str]]

    def test_create_stores_the_object_for_the_caller(self, user, client_for):
        response = client_for(user).post(self.collection_url, self.create_body, format="json")
        assert response.status_code == 201, response.content
        created = self.model.objects.get(pk=response.json()["id"])
        if self.owned:
            assert getattr(created, f"{self.owner_field}_id") == user.pk
        for field, value in self.create_body.items():
            assert response.json()[field] == value

    def test_create_with_trailing_slash_keeps_the_body(self, user, client_for):
        response = client_for(user).post(self.collection_url + "/", self.create_body, format="json")
        assert response.status_code == 201, response.content

    def test_create_with_an_invalid_body_names_the_field(self, user, client_for):
        body, field = self.invalid_body
        before = self.model.objects.count()
        response = client_for(user).post(self.collection_url, body, format="json")
        self.assert_error_shape(response, status=400, field=field)
        assert self.model.objects.count() == before

    @pytest.mark.parametrize("raw", ["[]", "[1, 2]", '"text"', "42", "null", "{not json"])
    def test_create_with_a_body_that_is_not_an_object_is_400(self, user, client_for, raw):
        response = client_for(user).generic("POST", self.collection_url, raw, content_type="application/json")
        self.assert_error_shape(response, status=400)


class ApiUpdateTests(ApiResourceBase):
    update_body: ClassVar[dict]

    def test_patch_own_object(self, user, client_for):
        obj = self.make(owner=user)
        response = client_for(user).patch(self.detail_url(obj), self.update_body, format="json")
        assert response.status_code == 200, response.content
        for field, value in self.update_body.items():
            assert response.json()[field] == value
        refreshed = client_for(user).get(self.detail_url(obj)).json()
        assert {field: refreshed[field] for field in self.update_body} == self.update_body

    def test_put_own_object(self, user, client_for):
        obj = self.make(owner=user)
        current = client_for(user).get(self.detail_url(obj)).json()
        response = client_for(user).put(self.detail_url(obj), {**current, **self.update_body}, format="json")
        assert response.status_code == 200, response.content
        for field, value in self.update_body.items():
            assert response.json()[field] == value

    def test_another_users_object_cannot_be_changed(self, user, other_user, client_for):
        if not self.owned:
            pytest.skip("not an owned resource")
        theirs = self.make(owner=other_user)
        before = client_for(other_user).get(self.detail_url(theirs)).json()
        response = client_for(user).patch(self.detail_url(theirs), self.update_body, format="json")
        self.assert_error_shape(response, status=404)
        assert client_for(other_user).get(self.detail_url(theirs)).json() == before

    def test_staff_change_anyone_s_object(self, other_user, staff_user, client_for):
        theirs = self.make(owner=other_user)
        response = client_for(staff_user).patch(self.detail_url(theirs), self.update_body, format="json")
        assert response.status_code == 200, response.content


class ApiDeleteTests(ApiResourceBase):
    def test_delete_own_object(self, user, client_for):
        obj = self.make(owner=user)
        assert client_for(user).delete(self.detail_url(obj)).status_code == 204
        assert not self.model.objects.filter(pk=obj.pk).exists()

    def test_another_users_object_cannot_be_deleted(self, user, other_user, client_for):
        if not self.owned:
            pytest.skip("not an owned resource")
        theirs = self.make(owner=other_user)
        self.assert_error_shape(client_for(user).delete(self.detail_url(theirs)), status=404)
        assert self.model.objects.filter(pk=theirs.pk).exists()


class ApiCrudTests(ApiListTests, ApiGetTests, ApiCreateTests, ApiUpdateTests, ApiDeleteTests):
    """The whole suite for a resource with list, get, create, update and delete."""
