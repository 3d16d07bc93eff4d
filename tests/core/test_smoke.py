def test_home_page_is_public(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "Vos services publics" in response.content.decode()
