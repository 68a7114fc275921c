"""deskbot's matrix-nio 0.25 file store (python-olm pickles) is imported into the database once and
opened by nio 0.26 (vodozemac): same device, same identity keys, and an old Megolm session still
decrypts. The store below was written by matrix-nio 0.25.2 with python-olm 3.2.16 (SQL dump of
``crypto/@deskbot:deskbot.test_LEGACYDEV.db`` plus its ``matrix_state.json``)."""

from __future__ import annotations

import json
import sqlite3

from bot.handlers.matrix_store import DbCryptoStore, MatrixState, import_legacy_store
from bot.storage.db import Database

USER = "@deskbot:deskbot.test"
STATE_JSON = '{"user_id": "@deskbot:deskbot.test", "device_id": "LEGACYDEV", "access_token": "syt_legacy_token", "homeserver": "http://127.0.0.1:1", "next_batch": "s42_legacy", "handled": ["$a", "$b"], "choices": {}, "pending": {}, "invites": {}}'
EXPECT = {'session_id': 'zAMa3j+O4G+tmMCpH9EViQsDSsWTlVQrchPdjerFJeg', 'ciphertext': 'AwgAEoABjzZ0m33kwV5Z2EZJeeBu7+ZRy5JcvOz3yaBYNKqjq8Z3+ZtqO22bMb3fFjpRcHr522hDBz7e8zL+7gaIDxuRhb2hj3/qOCZDMsfPcCRczHouQU3/piKnz2wzxBe+SXa5xNPz7pO+8trhWxoQ46oIzoE13LA3Dz2qFUaSYP3UsmtSs70Z6RVThky1T/iT1lxUHbHE1gDwle2j4ROcR0wAzBpDPz5Vcsgc0FFXQPWT6FsTdMnNH2mr/Nx4VbDHTLONB+fuRiOv3QQ', 'identity': {'curve25519': 'FT/L9lmMfjlztTEs46HUyX7Kr//qDxAvn6PBYtP0wgE', 'ed25519': 'TapR04LMF0j/iT4khv7DXqLpcSsG6ilUoVOoBAAlBIE'}}
CRYPTO_DUMP = 'BEGIN TRANSACTION;\nCREATE TABLE "accounts" ("id" INTEGER NOT NULL PRIMARY KEY, "account" BLOB NOT NULL, "user_id" TEXT NOT NULL, "device_id" TEXT NOT NULL, "shared" INTEGER NOT NULL, UNIQUE(user_id,device_id));\nINSERT INTO "accounts" VALUES(1,X\'3341676F646A783761363433452B54775030556E2B2B514557366A506D30464E2F7937664576536558417464473358704C484D564D6247744F454C3673784B725476693852703074427032744563665671344A54392F786876504F35304B6B69526C5473756E714C49346D486E613032597256776F674475456B35556D4535386964364F4A43326F73594770337A4433624B3863576C53426C4E443437714D6B79325A3149455035533642784F4B49316B6E4675366B754E4642356D4B436271356843666D566F51546F537471753134664D5875434264514152686D465A593569373072302B746B535069385A3379616D3451487441\',\'@deskbot:deskbot.test\',\'LEGACYDEV\',0);\nCREATE TABLE "devicekeys" ("id" INTEGER NOT NULL PRIMARY KEY, "device_id" TEXT NOT NULL, "user_id" TEXT NOT NULL, "display_name" TEXT NOT NULL, "deleted" INTEGER NOT NULL, "account_id" INTEGER NOT NULL, FOREIGN KEY ("account_id") REFERENCES "accounts" ("id") ON DELETE CASCADE, UNIQUE(account_id,user_id,device_id));\nCREATE TABLE "encryptedrooms" ("id" INTEGER NOT NULL PRIMARY KEY, "room_id" TEXT NOT NULL, "account_id" INTEGER NOT NULL, FOREIGN KEY ("account_id") REFERENCES "accounts" ("id") ON DELETE CASCADE, UNIQUE(room_id,account_id));\nINSERT INTO "encryptedrooms" VALUES(1,\'!room:deskbot.test\',1);\nCREATE TABLE "forwardedchains" ("id" INTEGER NOT NULL PRIMARY KEY, "sender_key" TEXT NOT NULL, "session_id" TEXT NOT NULL, FOREIGN KEY ("session_id") REFERENCES "megolminboundsessions" ("session_id") ON DELETE CASCADE, UNIQUE(sender_key,session_id));\nCREATE TABLE "keys" ("id" INTEGER NOT NULL PRIMARY KEY, "key_type" TEXT NOT NULL, "key" TEXT NOT NULL, "device_id" INTEGER NOT NULL, FOREIGN KEY ("device_id") REFERENCES "devicekeys" ("id"), UNIQUE(device_id,key_type));\nCREATE TABLE "megolminboundsessions" ("session_id" TEXT NOT NULL PRIMARY KEY, "sender_key" TEXT NOT NULL, "account_id" INTEGER NOT NULL, "fp_key" TEXT NOT NULL, "room_id" TEXT NOT NULL, "session" BLOB NOT NULL, FOREIGN KEY ("account_id") REFERENCES "accounts" ("id") ON DELETE CASCADE);\nINSERT INTO "megolminboundsessions" VALUES(\'zAMa3j+O4G+tmMCpH9EViQsDSsWTlVQrchPdjerFJeg\',\'SENDERCURVEKEY\',1,\'TapR04LMF0j/iT4khv7DXqLpcSsG6ilUoVOoBAAlBIE\',\'!room:deskbot.test\',X\'744230656A5236784E6555744E582B7853777A4956686839596F415A3166625538572B543447704878726766574B4A303278625A304E695645755A61573269414A656134394866736D385842325047544864612F682B742B714164597A6A552B752B547A316747507856624433356C6A594255686B70596349644F616A395058356854434F597A34785530514D757266316E6A666A506A504145684F4645354D554A676D657171723375686C626F476F73646D344B36414541516D686A6B6F6164666459317A7169367959744D6D53376F4551483537416D7838737642484A334F497164674777303637513075534D2F417A656453302B66546958487164596A39345A783561585757353745485A346752394A636F7679656D66694977794B6F734637534E6A517973735334474C556B4176786662376C38685369744B542F4A5136775A384A5A315348713271552F476B6D4931794F776A6D6733544B417A4145674B784E4C46674B79585A7163447567564759753866587A30697A555056664A38416B6461412F62444467324F63694A73703069645A336F7738512B32317A\');\nCREATE TABLE "olmsessions" ("session_id" TEXT NOT NULL PRIMARY KEY, "creation_time" TEXT NOT NULL, "last_usage_date" TEXT NOT NULL, "sender_key" TEXT NOT NULL, "account_id" INTEGER NOT NULL, "session" BLOB NOT NULL, FOREIGN KEY ("account_id") REFERENCES "accounts" ("id") ON DELETE CASCADE);\nCREATE TABLE "outgoingkeyrequests" ("id" INTEGER NOT NULL PRIMARY KEY, "request_id" TEXT NOT NULL, "session_id" TEXT NOT NULL, "room_id" TEXT NOT NULL, "algorithm" TEXT NOT NULL, "account_id" INTEGER NOT NULL, FOREIGN KEY ("account_id") REFERENCES "accounts" ("id") ON DELETE CASCADE, UNIQUE(request_id,account_id));\nCREATE TABLE "storeversion" ("id" INTEGER NOT NULL PRIMARY KEY, "version" INTEGER NOT NULL);\nINSERT INTO "storeversion" VALUES(1,2);\nCREATE TABLE "synctokens" ("id" INTEGER NOT NULL PRIMARY KEY, "token" TEXT NOT NULL, "account_id" INTEGER NOT NULL, FOREIGN KEY ("account_id") REFERENCES "accounts" ("id") ON DELETE CASCADE, UNIQUE(account_id));\nCREATE INDEX "devicekeys_account_id" ON "devicekeys" ("account_id");\nCREATE INDEX "encryptedrooms_account_id" ON "encryptedrooms" ("account_id");\nCREATE INDEX "megolminboundsessions_account_id" ON "megolminboundsessions" ("account_id");\nCREATE INDEX "forwardedchains_session_id" ON "forwardedchains" ("session_id");\nCREATE INDEX "keys_device_id" ON "keys" ("device_id");\nCREATE INDEX "olmsessions_account_id" ON "olmsessions" ("account_id");\nCREATE INDEX "outgoingkeyrequests_account_id" ON "outgoingkeyrequests" ("account_id");\nCREATE INDEX "synctokens_account_id" ON "synctokens" ("account_id");\nCOMMIT;'


def _legacy_store(tmp_path):
    """The 0.25 file store above on disk, and a migrated database beside it: (store dir, Database)."""
    store = tmp_path / "matrix"
    (store / "crypto").mkdir(parents=True)
    (store / "matrix_state.json").write_text(STATE_JSON)
    conn = sqlite3.connect(store / "crypto" / f"{USER}_LEGACYDEV.db")
    conn.executescript(CRYPTO_DUMP)
    conn.close()
    db = Database(f"sqlite:///{tmp_path / 'deskbot.sqlite3'}")
    db.migrate()
    return store, db


def test_legacy_025_store_is_imported_and_opens(tmp_path):
    store, db = _legacy_store(tmp_path)
    state = MatrixState(db.engine, USER)

    assert import_legacy_store(state, store) is True
    assert import_legacy_store(state, store) is False  # once only
    session = state.session()
    assert (session.device_id, session.access_token, session.next_batch) == ("LEGACYDEV", "syt_legacy_token", "s42_legacy")
    assert state.is_handled("$a") and state.is_handled("$b")

    crypto = DbCryptoStore(db.engine, USER, "LEGACYDEV")
    account = crypto.load_account()
    assert account is not None and account.identity_keys == EXPECT["identity"]
    assert crypto.load_encrypted_rooms() == {"!room:deskbot.test"}
    sessions = list(crypto.load_inbound_group_sessions())
    assert [s.id for s in sessions] == [EXPECT["session_id"]]
    import vodozemac

    plain = sessions[0]._session.decrypt(vodozemac.MegolmMessage.from_base64(EXPECT["ciphertext"]))
    assert json.loads(plain.plaintext)["content"]["body"] == "aus 0.25"

    # and nio 0.26's client loads it as its store (what the transport does)
    from nio import AsyncClient, AsyncClientConfig

    client = AsyncClient("http://127.0.0.1:9", USER, store_path="database",
                         config=AsyncClientConfig(store=state.crypto_store_class(), encryption_enabled=True))
    client.restore_login(USER, "LEGACYDEV", "syt_legacy_token")
    assert client.olm.account.identity_keys == EXPECT["identity"]
    assert "!room:deskbot.test" in client.encrypted_rooms
    db.dispose()


def test_a_configured_pickle_key_re_encrypts_the_store_once(tmp_path):
    """DESKBOT_MATRIX_PICKLE_KEY: a store written with nio's default key (here: the imported 0.25 store) is
    read once with the default, re-saved with the configured key, and from then on only that key opens it;
    the Megolm session still decrypts."""
    store, db = _legacy_store(tmp_path)
    state = MatrixState(db.engine, USER)
    assert import_legacy_store(state, store) is True

    keyed = DbCryptoStore(db.engine, USER, "LEGACYDEV", "a long production passphrase")
    assert keyed.load_account().identity_keys == EXPECT["identity"]  # read with the default, re-saved
    assert [s.id for s in keyed.load_inbound_group_sessions()] == [EXPECT["session_id"]]

    # now the rows are encrypted with the configured key: the default key no longer opens them
    import pytest

    with pytest.raises(ValueError):
        DbCryptoStore(db.engine, USER, "LEGACYDEV").load_account()
    again = DbCryptoStore(db.engine, USER, "LEGACYDEV", "a long production passphrase")
    assert again.load_account().identity_keys == EXPECT["identity"]
    session = next(iter(again.load_inbound_group_sessions()))
    import vodozemac

    plain = session._session.decrypt(vodozemac.MegolmMessage.from_base64(EXPECT["ciphertext"]))
    assert json.loads(plain.plaintext)["content"]["body"] == "aus 0.25"
    with pytest.raises(ValueError):  # a wrong key is an error, never a silent new identity
        DbCryptoStore(db.engine, USER, "LEGACYDEV", "another passphrase").load_account()
    db.dispose()


async def test_a_wrong_pickle_key_stops_the_start_with_one_line(tmp_path):
    import asyncio

    import pytest

    from bot import runner
    from bot.handlers.matrix import MatrixTransport

    store, db = _legacy_store(tmp_path)
    import_legacy_store(MatrixState(db.engine, USER), store)
    DbCryptoStore(db.engine, USER, "LEGACYDEV", "key one").load_account()  # now stored with "key one"

    class Dialogue:
        async def handle(self, msg):
            return []

    tr = MatrixTransport(Dialogue(), homeserver="http://127.0.0.1:1", user_id=USER, db=db, pickle_key="key two",
                         login_timeout=2)
    with pytest.raises(runner.StartupError) as info:
        await asyncio.wait_for(runner.start_with_retry("matrix", tr, asyncio.Event()), 20)
    assert str(info.value).startswith("DESKBOT_MATRIX_PICKLE_KEY:") and "\n" not in str(info.value)
    db.dispose()
