"""Bank transfers the finance team makes from a CSV export, as before the rails existed."""
from __future__ import annotations

import re

from payouts.rails.base import Outcome, RailError, Transfer, require_text
from payouts.rails.masking import mask_name

_ACCOUNT = re.compile(r"^[0-9 -]{8,34}$|^[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}$")


class BankCsv:
    name = "bank"
    automatic = False
    account_fields = ("bank_name", "account_number", "holder_name")

    def clean_credentials(self, given: dict, allow_private: bool) -> dict:
        return {}

    def clean_account(self, given: dict) -> dict:
        require_text(given, self.account_fields, "bank account details")
        errors = {f: "at most 100 characters" for f in self.account_fields if len(given[f]) > 100}
        if errors:
            raise RailError("The bank account details are too long.", errors)
        number = given["account_number"].strip().upper()
        if not _ACCOUNT.match(number):
            raise RailError("The account number is invalid.", {"account_number": "digits (8 to 34) or an IBAN"})
        return {"bank_name": given["bank_name"].strip(), "account_number": number.replace(" ", "").replace("-", ""),
                "holder_name": given["holder_name"].strip()}

    def mask(self, account: dict) -> str:
        return f"{account['bank_name']} ****{account['account_number'][-4:]} {mask_name(account['holder_name'])}"

    def send(self, credentials: dict, transfer: Transfer, allow_private: bool) -> Outcome:
        """Nothing to call: the transfer is in the export, and the finance team pays it."""
        return Outcome("paid", "EXPORTED")

    def query(self, credentials: dict, transfer: Transfer, allow_private: bool) -> Outcome:
        return Outcome("paid", "EXPORTED")
