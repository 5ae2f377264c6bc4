from django.urls import path

from hoptac.shop.views import money

app_name = "shop_money"
urlpatterns = [
    path("", money.transaction_list, name="transaction_list"),
    path("tx/<int:tx_id>/", money.transaction_detail, name="transaction_detail"),
    path("tx/<int:tx_id>/assign/", money.transaction_assign, name="transaction_assign"),
    path("tx/<int:tx_id>/ignore/", money.transaction_ignore, name="transaction_ignore"),
    path("tx/<int:tx_id>/refund/", money.transaction_refund, name="transaction_refund"),
    path("book/", money.cash_book, name="cash_book"),
    path("book.xlsx", money.cash_book_xlsx, name="cash_book_xlsx"),
    path("statement/", money.statement_upload, name="statement_upload"),
    path("statement/confirm/", money.statement_confirm, name="statement_confirm"),
    path("bank/", money.bank_settings, name="bank_settings"),
    path("bank/<str:provider>/key/", money.bank_key_rotate, name="bank_key_rotate"),
]
