"""Logout tests: the first logs out with GET, which Django 5.0+ answers with 405 (DJV102)."""

from django.contrib.auth.models import User
from django.test import TestCase
from django.urls import reverse


class LogoutTests(TestCase):
    def setUp(self):
        self.user = User.objects.create_user("reader", password="not-secret")
        self.client.force_login(self.user)

    def test_logout_with_get(self):
        response = self.client.get(reverse("logout"))  # DJV102: 405 since Django 5.0
        self.assertEqual(response.status_code, 200)

    def test_logout_with_post(self):
        response = self.client.post(reverse("logout"))  # how LogoutView logs out: silent
        self.assertNotIn("_auth_user_id", self.client.session)
        self.assertEqual(response.status_code, 200)

    def test_get_is_refused(self):
        response = self.client.get(reverse("logout"))  # checks the 405 on purpose: silent
        self.assertEqual(response.status_code, 405)
