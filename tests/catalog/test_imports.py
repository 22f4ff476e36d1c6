"""Product CSV import and export (Shopify's format): through the service, the task, the shell
command and the admin; bad input explained per row, nothing half saved, shops kept apart."""

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.http import StreamingHttpResponse
from django_tenants.utils import tenant_context

from catalog import shopify_csv as col
from catalog.exports import products_export_rows
from catalog.images import product_image_add_from_url
from catalog.import_jobs import import_job_create, import_job_run
from catalog.imports import products_import
from catalog.models import CatalogChange, ImportJob, Product, ProductImage, Variant
from catalog.services import VariantInput, product_create, stock_hold
from catalog.tasks import import_products
from tests.conftest import owner_client

COLUMNS = [
    col.HANDLE,
    col.TITLE,
    col.BODY,
    col.VENDOR,
    col.TYPE,
    col.TAGS,
    col.PUBLISHED,
    col.OPTION_NAMES[0],
    col.OPTION_VALUES[0],
    col.OPTION_NAMES[1],
    col.OPTION_VALUES[1],
    col.SKU,
    col.GRAMS,
    col.STOCK,
    col.PRICE,
    col.COMPARE_AT_PRICE,
    col.BARCODE,
    col.IMAGE_SRC,
    col.IMAGE_POSITION,
    col.IMAGE_ALT,
    col.SEO_TITLE,
    col.SEO_DESCRIPTION,
    col.MPN,
    col.CONDITION,
    col.STATUS,
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def tee_rows(handle: str = "linen-tee", sku: str = "TEE", price: str = "19.90") -> list[dict]:
    return [
        {
            col.HANDLE: handle,
            col.TITLE: "Linen Tee",
            col.BODY: "<p>Soft <b>linen</b></p>",
            col.VENDOR: "Etalage",
            col.TYPE: "Shirt",
            col.TAGS: "summer, linen",
            col.PUBLISHED: "TRUE",
            col.OPTION_NAMES[0]: "Size",
            col.OPTION_VALUES[0]: "S",
            col.OPTION_NAMES[1]: "Colour",
            col.OPTION_VALUES[1]: "White",
            col.SKU: f"{sku}-S",
            col.GRAMS: "180",
            col.STOCK: "3",
            col.PRICE: price,
            col.COMPARE_AT_PRICE: "25.00",
            col.BARCODE: "4006381333931",
            col.IMAGE_SRC: "https://cdn.example.com/tee-front.jpg",
            col.IMAGE_POSITION: "1",
            col.IMAGE_ALT: "Front",
            col.SEO_TITLE: "Linen tee",
            col.SEO_DESCRIPTION: "A soft tee",
            col.MPN: "LT-1",
            col.CONDITION: "new",
            col.STATUS: "active",
        },
        {
            col.HANDLE: handle,
            col.OPTION_VALUES[0]: "M",
            col.OPTION_VALUES[1]: "White",
            col.SKU: f"{sku}-M",
            col.STOCK: "0",
            col.PRICE: "21.00",
            col.IMAGE_SRC: "https://cdn.example.com/tee-back.jpg",
            col.IMAGE_POSITION: "2",
            col.IMAGE_ALT: "Back",
        },
        {
            col.HANDLE: handle,
            col.IMAGE_SRC: "https://cdn.example.com/tee-side.jpg",
            col.IMAGE_POSITION: "3",
        },
    ]


def simple_rows(handle: str, sku: str, price: str = "5.00", **extra: str) -> list[dict]:
    return [
        {
            col.HANDLE: handle,
            col.TITLE: handle.title(),
            col.SKU: sku,
            col.PRICE: price,
            col.STOCK: "1",
            col.STATUS: "active",
            **extra,
        }
    ]


def csv_bytes(rows: list[dict], columns: list[str] = COLUMNS, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def run_job(rows: list[dict] | bytes, name: str = "products.csv") -> ImportJob:
    data = rows if isinstance(rows, bytes) else csv_bytes(rows)
    job = import_job_create(file=ContentFile(data, name=name), name=name, queue=False)
    return import_job_run(job_id=job.pk)


def report_rows(job: ImportJob) -> list[list[str]]:
    with job.error_report.open("rb") as report:
        return list(csv.reader(io.StringIO(report.read().decode("utf-8-sig"))))


def catalog_snapshot() -> list[tuple]:
    products = Product.objects.order_by("slug").prefetch_related("variants", "images")
    return [
        (
            p.slug,
            p.title,
            p.description,
            p.brand,
            p.product_type,
            p.tags,
            p.status,
            p.condition,
            p.gtin,
            p.mpn,
            p.seo_title,
            p.seo_description,
            p.option1_name,
            p.option2_name,
            p.option3_name,
            [
                (v.sku, v.price, v.compare_at_price, v.stock, v.options, v.weight_grams, v.position)
                for v in p.variants.all()
            ],
            [(i.source_url, i.position, i.alt_text) for i in p.images.all()],
        )
        for p in products
    ]


# --- The service ------------------------------------------------------------------------


def test_import_creates_products_with_variants_and_pending_images(shop_a):
    with tenant_context(shop_a):
        result = products_import(file=io.BytesIO(csv_bytes(tee_rows())))

        product = Product.objects.get()
        assert (result.created, result.updated, result.errors) == (1, 0, [])
        assert (product.slug, product.title, product.description) == (
            "linen-tee",
            "Linen Tee",
            "<p>Soft <b>linen</b></p>",
        )
        assert (product.brand, product.product_type, product.tags, product.status) == (
            "Etalage",
            "Shirt",
            ["summer", "linen"],
            "active",
        )
        # the barcode is the variant's own (the product keeps none); the first row's MPN
        # is the product's and its variant's
        assert (product.gtin, product.mpn, product.seo_title, product.option_names) == (
            "",
            "LT-1",
            "Linen tee",
            ["Size", "Colour"],
        )
        assert list(
            product.variants.values_list(
                "sku",
                "price",
                "compare_at_price",
                "stock",
                "option1",
                "option2",
                "weight_grams",
                "gtin",
                "mpn",
            )
        ) == [
            (
                "TEE-S",
                Decimal("19.90"),
                Decimal("25.00"),
                3,
                "S",
                "White",
                180,
                "4006381333931",
                "LT-1",
            ),
            ("TEE-M", Decimal("21.00"), None, 0, "M", "White", None, "", ""),
        ]
        assert list(product.images.values_list("source_url", "position", "alt_text", "status")) == [
            ("https://cdn.example.com/tee-front.jpg", 0, "Front", "pending"),
            ("https://cdn.example.com/tee-back.jpg", 1, "Back", "pending"),
            ("https://cdn.example.com/tee-side.jpg", 2, "", "pending"),
        ]
        assert CatalogChange.objects.filter(product_id=product.id).count() == 1
        assert "images" in CatalogChange.objects.get().aspects


def test_published_is_read_when_there_is_no_status_and_default_title_means_no_options(shop_a):
    rows = [
        {
            col.HANDLE: "mug",
            col.TITLE: "Mug",
            col.PUBLISHED: "FALSE",
            col.OPTION_NAMES[0]: "Title",
            col.OPTION_VALUES[0]: "Default Title",
            col.SKU: "MUG",
            col.PRICE: "9",
        }
    ]
    with tenant_context(shop_a):
        products_import(file=io.BytesIO(csv_bytes(rows)))

        product = Product.objects.get()
        assert (product.status, product.option_names) == ("draft", [])
        assert product.variants.get().options == []


def test_reimport_is_idempotent_and_a_change_writes_one_outbox_row_per_product(shop_a):
    rows = tee_rows() + simple_rows("mug", "MUG")
    with tenant_context(shop_a):
        products_import(file=io.BytesIO(csv_bytes(rows)))
        CatalogChange.objects.all().delete()

        again = products_import(file=io.BytesIO(csv_bytes(rows)))
        assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
        assert not CatalogChange.objects.exists()

        rows[0][col.TITLE], rows[0][col.PRICE], rows[1][col.STOCK] = "Linen T-shirt", "18.00", "7"
        changed = products_import(file=io.BytesIO(csv_bytes(rows)))

        assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
        assert Variant.objects.count() == 3
        assert ProductImage.objects.count() == 3
        tee = Product.objects.get(slug="linen-tee")
        assert list(tee.variants.values_list("sku", "price", "stock")) == [
            ("TEE-S", Decimal("18.00"), 3),
            ("TEE-M", Decimal("21.00"), 7),
        ]
        assert list(CatalogChange.objects.values_list("product_id", "aspects")) == [
            (tee.id, ["availability", "price", "stock", "title"])
        ]


@pytest.mark.parametrize(
    ("bad", "column", "message"),
    [
        ({col.PRICE: "-3"}, col.PRICE, "The price cannot be negative."),
        ({col.PRICE: "abc"}, col.PRICE, "The price “abc” is not a number; write it like 19.99."),
        ({col.PRICE: ""}, col.PRICE, "The Variant Price is empty; every variant needs a price"),
        ({col.SKU: "MUG"}, col.SKU, "The SKU MUG is already used in row 2 (product mug)"),
        ({col.BARCODE: "4006381333932"}, col.BARCODE, "The GTIN's check digit is wrong"),
        ({col.STOCK: "-1"}, col.STOCK, "Stock must be a whole number, 0 or more. Found “-1”."),
        ({col.STATUS: "live"}, col.STATUS, "Status is draft, active or archived. Found “live”."),
        ({col.IMAGE_SRC: "cdn/x.jpg"}, col.IMAGE_SRC, "must start with http:// or https://"),
    ],
)
def test_a_bad_row_skips_its_whole_product_and_is_reported(shop_a, bad, column, message):
    rows = simple_rows("mug", "MUG") + simple_rows("bowl", "BOWL", **bad) + tee_rows()
    with tenant_context(shop_a):
        job = run_job(rows)

        assert job.status == ImportJob.Status.SUCCEEDED
        assert sorted(Product.objects.values_list("slug", flat=True)) == ["linen-tee", "mug"]
        assert (job.created_products, job.error_rows) == (2, 1)
        header, *errors = report_rows(job)
        assert header == ["Row", "Handle", "Column", "Message"]
        assert [row[:3] for row in errors] == [["3", "bowl", column]]
        assert message in errors[0][3]
        assert "1 products were not imported because of errors in 1 rows" in job.message


def test_an_error_in_a_later_row_leaves_no_part_of_its_product(shop_a):
    rows = tee_rows()
    rows[1][col.PRICE] = "twenty"
    with tenant_context(shop_a):
        job = run_job(rows)

        assert not Product.objects.exists()
        assert not Variant.objects.exists()
        assert not ProductImage.objects.exists()
        assert not CatalogChange.objects.exists()
        assert [row[:3] for row in report_rows(job)[1:]] == [["3", "linen-tee", col.PRICE]]


def test_a_sku_of_another_stored_product_is_refused(shop_a):
    with tenant_context(shop_a):
        product_create(title="Old mug", variants=[VariantInput(sku="MUG", price="3")])
        job = run_job(simple_rows("new-mug", "MUG"))

        assert list(Product.objects.values_list("title", flat=True)) == ["Old mug"]
        assert report_rows(job)[1] == [
            "2",
            "new-mug",
            col.SKU,
            "The SKU MUG is already used by another product of the shop; SKUs are unique in a shop.",
        ]


def test_a_conflict_found_while_writing_skips_only_that_product(shop_a):
    # given a stored bowl whose unlisted variant BOWL-X already has the options "S"
    with tenant_context(shop_a):
        product_create(
            title="Bowl",
            slug="bowl",
            option1_name="Size",
            variants=[
                VariantInput(sku="BOWL-X", price="3", options=["S"]),
                VariantInput(sku="BOWL-Y", price="3", options=["M"]),
            ],
        )
        CatalogChange.objects.all().delete()
    rows = [
        *simple_rows("mug", "MUG"),
        {
            col.HANDLE: "bowl",
            col.TITLE: "Bowl",
            col.OPTION_NAMES[0]: "Size",
            col.OPTION_VALUES[0]: "S",
            col.SKU: "BOWL-Y",
            col.PRICE: "4",
        },
        {col.HANDLE: "bowl", col.OPTION_VALUES[0]: "M", col.SKU: "BOWL-Z", col.PRICE: "4"},
    ]
    with tenant_context(shop_a):
        # when the import moves BOWL-Y onto "S" too
        job = run_job(rows)

        # then the bowl is as it was, the mug imported, the conflict reported
        bowl = Product.objects.get(slug="bowl")
        assert list(bowl.variants.values_list("sku", "option1", "price")) == [
            ("BOWL-X", "S", Decimal("3.00")),
            ("BOWL-Y", "M", Decimal("3.00")),
        ]
        mug = Product.objects.get(slug="mug")
        assert list(CatalogChange.objects.values_list("product_id", flat=True)) == [mug.id]
        assert report_rows(job)[1:] == [["3", "bowl", "", "Two variants have the same options."]]


def test_missing_columns_refuse_the_file_naming_them(shop_a):
    data = csv_bytes(simple_rows("mug", "MUG"), columns=[col.HANDLE, col.SKU, col.STOCK])
    with tenant_context(shop_a), pytest.raises(Exception) as refused:
        import_job_create(file=ContentFile(data, name="p.csv"), name="p.csv")

    assert "The file has no “Title”, “Variant Price” columns." in refused.value.message


def test_a_latin1_file_is_refused_with_how_to_save_it_as_utf8(shop_a):
    rows = simple_rows("creme", "CREME", **{col.BODY: "Crème brûlée"})
    with tenant_context(shop_a):
        job = ImportJob.objects.create(
            file=ContentFile(csv_bytes(rows, encoding="latin-1"), name="p.csv")
        )
        job = import_job_run(job_id=job.pk)

        assert job.status == ImportJob.Status.FAILED
        assert "The file is not UTF-8 text (byte 0xe8 near row 2" in job.message
        assert "Save it as “CSV UTF-8”" in job.message
        assert not Product.objects.exists()


def test_utf8_with_a_byte_order_mark_is_read(shop_a):
    data = "\ufeff".encode() + csv_bytes(simple_rows("creme", "CREME", **{col.TITLE: "Crème"}))
    with tenant_context(shop_a):
        job = run_job(data)

        assert job.status == ImportJob.Status.SUCCEEDED
        assert Product.objects.get().title == "Crème"


def test_too_many_rows_are_refused_before_anything_is_read_in(shop_a, settings):
    settings.CATALOG_IMPORT_MAX_ROWS = 3
    rows = [row for n in range(4) for row in simple_rows(f"p{n}", f"P{n}")]
    with tenant_context(shop_a), pytest.raises(Exception) as refused:
        run_job(rows)

    assert "The file has more than 3 rows; split it into files of at most 3 rows" in str(
        refused.value
    )


def test_import_query_count_does_not_grow_with_rows(shop_a, django_assert_max_num_queries):
    def rows(count: int, prefix: str) -> list[dict]:
        return [
            {**row, col.IMAGE_SRC: ""}
            for n in range(count)
            for row in tee_rows(f"{prefix}-{n}", f"{prefix}{n}")
        ]

    with tenant_context(shop_a):
        with django_assert_max_num_queries(100) as small:
            products_import(file=io.BytesIO(csv_bytes(rows(10, "a"))))
        with django_assert_max_num_queries(len(small.captured_queries)):
            products_import(file=io.BytesIO(csv_bytes(rows(40, "b"))))
        assert Product.objects.count() == 50


# --- Task, command, admin ----------------------------------------------------------------


def test_the_task_runs_a_queued_job(shop_a):
    with tenant_context(shop_a):
        job = import_job_create(
            file=ContentFile(csv_bytes(tee_rows()), name="p.csv"), name="p.csv", queue=False
        )

        assert import_products.delay(job.pk).get() == "succeeded"
        job.refresh_from_db()
        assert (job.processed_rows, job.total_rows, job.created_products) == (3, 3, 1)
        assert job.finished is not None


def test_the_job_fails_with_a_message_instead_of_staying_running(shop_a, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr("catalog.import_jobs.products_import", explode)
    with tenant_context(shop_a):
        job = run_job(tee_rows())

    assert job.status == ImportJob.Status.FAILED
    assert "unexpected error" in job.message
    assert "hunter2" not in job.message


def test_the_command_imports_with_a_progress_bar_and_the_report_path(shop_a, tmp_path, media):
    path = tmp_path / "products.csv"
    path.write_bytes(csv_bytes(tee_rows() + simple_rows("bowl", "BOWL", price="-1")))
    out, err = io.StringIO(), io.StringIO()

    call_command("import_products", "alpha", str(path), stdout=out, stderr=err)

    assert "] 4/4 rows" in err.getvalue()
    assert "1 products created, 0 updated, 0 unchanged." in out.getvalue()
    report = out.getvalue().split("Error report: ")[1].strip()
    assert Path(report).is_relative_to(media / shop_a.schema_name)
    assert "The price cannot be negative." in Path(report).read_text(encoding="utf-8-sig")
    with tenant_context(shop_a):
        assert list(Product.objects.values_list("slug", flat=True)) == ["linen-tee"]


def test_the_command_explains_an_unknown_shop_and_a_refused_file(shop_a, tmp_path):
    path = tmp_path / "products.csv"
    path.write_bytes(b"Name,Price\nMug,3\n")

    with pytest.raises(CommandError, match="No shop has the slug “nope”"):
        call_command("import_products", "nope", str(path))
    with pytest.raises(CommandError, match=r"products\.csv was not imported: The file has no"):
        call_command("import_products", "alpha", str(path))


def test_admin_upload_queues_the_import_and_shows_its_progress(
    shop_a, django_capture_on_commit_callbacks
):
    client = owner_client()
    upload = ContentFile(csv_bytes(tee_rows()), name="shopify.csv")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post("/admin/catalog/importjob/add/", {"file": upload})

    assert response.status_code == 302
    assert len(callbacks) >= 1
    with tenant_context(shop_a):
        job = ImportJob.objects.get()
        assert (job.status, job.original_name, job.created_products) == (
            "succeeded",
            "shopify.csv",
            1,
        )
    page = client.get(response["Location"]).content.decode()
    assert '<progress value="3" max="3">100%</progress> 3 / 3 rows' in page
    assert 'http-equiv="refresh"' not in page


def test_admin_upload_refuses_a_bad_file_with_its_reason(shop_a):
    upload = ContentFile(csv_bytes(tee_rows(), encoding="utf-16"), name="shopify.csv")

    response = owner_client().post("/admin/catalog/importjob/add/", {"file": upload})

    assert response.status_code == 200
    assert "is not UTF-8 text" in response.content.decode()
    with tenant_context(shop_a):
        assert not ImportJob.objects.exists()


def test_deleting_a_job_in_the_admin_deletes_its_files(
    shop_a, media, django_capture_on_commit_callbacks
):
    bad = [*tee_rows(), *simple_rows("broken", "BRK", price="-1")]
    with tenant_context(shop_a):
        job = run_job(bad)
        assert job.error_report
    files = [p for p in media.rglob("*") if p.is_file()]
    assert len(files) == 2  # the upload and its error report

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client().post(
            f"/admin/catalog/importjob/{job.pk}/delete/", {"post": "yes"}
        )

    assert response.status_code == 302
    assert not any(p.exists() for p in files)
    with tenant_context(shop_a):
        assert not ImportJob.objects.exists()


def test_a_running_job_page_refreshes_itself(shop_a):
    with tenant_context(shop_a):
        job = ImportJob.objects.create(
            file="imports/x.csv", status="running", total_rows=10, processed_rows=5
        )

    page = owner_client().get(f"/admin/catalog/importjob/{job.pk}/change/").content.decode()

    assert '<progress value="5" max="10">50%</progress> 5 / 10 rows' in page
    assert '<meta http-equiv="refresh" content="2">' in page


# --- Shops kept apart ---------------------------------------------------------------------


def test_an_import_stays_in_its_shop_and_its_report_too(shop_a, shop_b, media):
    with tenant_context(shop_a):
        job = run_job(tee_rows() + simple_rows("bowl", "BOWL", price="x"))
        assert Path(job.error_report.path).is_relative_to(media / shop_a.schema_name)
    with tenant_context(shop_b):
        assert not Product.objects.exists()
        assert not ImportJob.objects.exists()

    report_url = f"/admin/catalog/importjob/{job.pk}/error-report/"
    own = owner_client("alpha").get(report_url)
    assert own.status_code == 200
    assert own["Content-Disposition"] == 'attachment; filename="products-errors.csv"'
    assert owner_client("beta").get(report_url).status_code == 404


# --- Export and round trip ----------------------------------------------------------------


def test_export_streams_a_csv_attachment(shop_a):
    with tenant_context(shop_a):
        products_import(file=io.BytesIO(csv_bytes(tee_rows())))

    response = owner_client().get("/admin/catalog/product/export/")

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="alpha-products.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r[col.SKU], r[col.PRICE], r[col.IMAGE_POSITION]) for r in rows] == [
        ("TEE-S", "19.90", "1"),
        ("TEE-M", "21.00", "2"),
        ("", "", "3"),
    ]


def test_export_then_import_into_another_shop_gives_the_same_catalog(shop_a, shop_b):
    with tenant_context(shop_a):
        products_import(file=io.BytesIO(csv_bytes(tee_rows())))
        product_create(
            title="Plain mug",
            status="archived",
            tags=["kitchen"],
            condition="used",
            variants=[VariantInput(sku="MUG", price="9.50", stock=4)],
        )
        bowl = product_create(
            title="Bowl",
            option1_name="Colour",
            variants=[
                VariantInput(sku="BOWL-R", price="12", options=["Red"], weight_grams=400),
                VariantInput(sku="BOWL-B", price="12", options=["Blue"], compare_at_price="15"),
            ],
        )
        product_image_add_from_url(
            product=bowl, url="https://cdn.example.com/bowl.png", alt_text="A bowl"
        )
        exported = csv_bytes_from(products_export_rows(base_url="http://alpha.localhost"))
        expected = catalog_snapshot()

    with tenant_context(shop_b):
        result = products_import(file=io.BytesIO(exported))

        assert (result.created, result.errors) == (3, [])
        assert catalog_snapshot() == expected


def csv_bytes_from(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


FORMULAS = {
    "title": '=HYPERLINK("https://evil.test","Click")',
    "brand": "+cmd|' /C calc'!A0",
    "product_type": "-2+3",
    "seo_title": "@SUM(1+1)",
    "seo_description": "-Sale- today",
}


def test_the_export_neutralises_formulas_and_imports_back_unchanged(shop_a, shop_b):
    # given a product whose fields a spreadsheet would run as formulas
    with tenant_context(shop_a):
        product_create(**FORMULAS, variants=[VariantInput(sku="=SKU", price="9.50", stock=4)])
        expected = catalog_snapshot()

    # when the owner exports it
    response = owner_client().get("/admin/catalog/product/export/")
    exported = b"".join(response.streaming_content)

    # then no cell starts with a formula character, and a numeric cell is left alone
    rows = list(csv.DictReader(io.StringIO(exported.decode())))
    cells = [value for row in rows for value in row.values() if value]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert rows[0][col.TITLE] == "'" + FORMULAS["title"]
    assert (rows[0][col.SKU], rows[0][col.PRICE]) == ("'=SKU", "9.50")
    # and the file imports into another shop as it was
    with tenant_context(shop_b):
        result = products_import(file=io.BytesIO(exported))
        assert (result.created, result.errors) == (1, [])
        imported = catalog_snapshot()
    assert imported[0][1:] == expected[0][1:]
    assert imported[0][1] == FORMULAS["title"]


def test_an_imported_count_sets_on_hand_and_leaves_held_units_held(shop_a):
    # given 1 mug on hand, held by an unpaid order
    rows = simple_rows("mug", "MUG")
    with tenant_context(shop_a):
        products_import(file=io.BytesIO(csv_bytes(rows)))
        stock_hold(variant=Variant.objects.get(sku="MUG"), quantity=1)
        CatalogChange.objects.all().delete()

        # when a file counts 4 on the shelf (the held one included)
        rows[0][col.STOCK] = "4"
        products_import(file=io.BytesIO(csv_bytes(rows)))

        # then 4 on hand, 1 still held, 3 available
        mug = Variant.objects.get(sku="MUG")
        assert (mug.stock, mug.held, mug.available) == (4, 1, 3)
        assert list(CatalogChange.objects.values_list("aspects", flat=True)) == [
            ["availability", "stock"]
        ]
