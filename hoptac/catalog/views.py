"""Catalog pages: the products a cooperative sells, their photos and certificates.

Reading needs ``coop.view``; every change needs ``catalog.edit``. A page that shows a form
takes it by POST on its own address; photo and certificate deletions are POST-only.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from hoptac.catalog import selectors, services
from hoptac.catalog.forms import CertificateForm, PhotoForm, ProductForm
from hoptac.catalog.models import Certificate, Product, ProductPhoto
from hoptac.coops.access import coop_view
from hoptac.core.conflicts import EditGuard
from hoptac.core.formkeys import creates, edits, repeat_safe
from hoptac.core.forms import add_errors
from hoptac.core.media import open_private, private_file_response
from hoptac.core.roles import Perm


def _require(request, perm: Perm) -> None:
    if not request.access.can(perm):
        raise PermissionDenied


def _product_or_404(product_id: int) -> Product:
    try:
        return selectors.product_detail(product_id)
    except Product.DoesNotExist:
        raise Http404 from None


def _to_product(request, product: Product):
    return redirect("catalog:product_detail", coop_slug=request.cooperative.slug, product_id=product.pk)


@coop_view(Perm.COOP_VIEW)
@require_GET
def product_list(request):
    return render(
        request,
        "catalog/product_list.html",
        {
            "products": selectors.catalog_list(),
            "can_edit": request.access.can(Perm.CATALOG_EDIT),
            "coop_certificates": selectors.cooperative_certificates(),
        },
    )


def _detail(
    request,
    product: Product,
    *,
    product_form=None,
    photo_form=None,
    certificate_form=None,
    guard=None,
    status=200,
):
    can_edit = request.access.can(Perm.CATALOG_EDIT)
    certificates = [(c, selectors.certificate_status(c)) for c in product.certificates.all()]
    return render(
        request,
        "catalog/product_detail.html",
        {
            "product": product,
            "photos": product.photos.all(),
            "certificates": certificates,
            "can_edit": can_edit,
            "product_form": product_form or ProductForm(initial=ProductForm.initial_from(product)),
            "photo_form": photo_form or PhotoForm(),
            "certificate_form": certificate_form or CertificateForm(),
            "guard": guard or EditGuard(request, current=ProductForm.initial_from(product)),
        },
        status=status,
    )


@coop_view(Perm.COOP_VIEW)
@edits
@require_http_methods(["GET", "POST"])
def product_detail(request, product_id: int):
    """The product with its photos and certificates; POST saves its details."""
    product = _product_or_404(product_id)
    if request.method == "GET":
        return _detail(request, product)
    _require(request, Perm.CATALOG_EDIT)
    guard = EditGuard(request, current=ProductForm.initial_from(product))
    form = ProductForm(request.POST)
    if form.is_valid() and guard.unchanged(form):
        try:
            services.product_update(product=product, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return _to_product(request, product)
    product = _product_or_404(product_id)  # unchanged: show what is stored beside the form
    return _detail(request, product, product_form=form, guard=guard, status=422)


@coop_view(Perm.CATALOG_EDIT)
@creates
@require_POST
def photo_add(request, product_id: int):
    product = _product_or_404(product_id)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.photo_add(
                product=product,
                upload=form.cleaned_data["photo"],
                alt=form.cleaned_data["alt"],
                actor=request.user,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Photo added."))
            return _to_product(request, product)
    return _detail(request, product, photo_form=form, status=422)


@coop_view(Perm.CATALOG_EDIT)
@repeat_safe("A deleted photo is not found (404) the second time.")
@require_POST
def photo_delete(request, product_id: int, photo_id: int):
    product = _product_or_404(product_id)
    try:
        photo = selectors.photo_get(product=product, photo_id=photo_id)
    except ProductPhoto.DoesNotExist:
        raise Http404 from None
    services.photo_delete(photo=photo, actor=request.user)
    messages.success(request, _("Photo removed."))
    return _to_product(request, product)


@coop_view(Perm.CATALOG_EDIT)
@creates
@require_POST
def certificate_add(request, product_id: int):
    product = _product_or_404(product_id)
    form = CertificateForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.certificate_add(product=product, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Certificate added."))
            return _to_product(request, product)
    return _detail(request, product, certificate_form=form, status=422)


@coop_view(Perm.CATALOG_EDIT)
@repeat_safe("A deleted certificate is not found (404) the second time.")
@require_POST
def certificate_delete(request, product_id: int, certificate_id: int):
    product = _product_or_404(product_id)
    try:
        certificate = selectors.certificate_get(certificate_id)
    except Certificate.DoesNotExist:
        raise Http404 from None
    if certificate.product_id != product.pk:
        raise Http404
    services.certificate_delete(certificate=certificate, actor=request.user)
    messages.success(request, _("Certificate removed."))
    return _to_product(request, product)


@coop_view(Perm.COOP_VIEW)
@require_safe
def certificate_document(request, certificate_id: int):
    """The scan of a certificate, for the people of its cooperative only (those who see the
    certificate on the catalog pages). A private file: no /media/ address, not cached, never
    on the public trace page (docs/traceability.md, "Certificates")."""
    try:
        certificate = selectors.certificate_get(certificate_id)
    except Certificate.DoesNotExist:
        raise Http404 from None
    if not certificate.document:
        raise Http404
    name = certificate.document.name
    handle = open_private(name, legacy_prefixes=("certificates/",))
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else "bin"
    label = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in certificate.number)
    download = f"{certificate.kind}-{label.strip('-') or certificate.pk}.{extension}"
    return private_file_response(handle, download_name=download)
